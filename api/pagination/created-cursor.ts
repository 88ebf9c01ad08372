import { z } from 'zod';
import type { CreatedPosition } from '../../repositories/plans/created-order';

/**
 * `<createdAt in ms>~<id>`: a position, not a token. Every value of this form is a place in the
 * order (a keyset), so a page after any of them is well defined (possibly empty).
 */
const CURSOR = /^([0-9]{1,15})~([A-Za-z0-9_-]{1,100})$/;

export const createdCursorSchema = z
  .string()
  .regex(CURSOR, 'must be a nextCursor this API gave')
  .describe('nextCursor of the previous page: the page starts after that position (createdAt desc, id desc)');

export function encodeCreatedCursor(position: CreatedPosition): string {
  return `${position.createdAt}~${position.id}`;
}

/** The position in a cursor the schema admitted. */
export function decodeCreatedCursor(text: string): CreatedPosition {
  const match = CURSOR.exec(text);
  if (!match) throw new Error('not a cursor (the query schema admits only cursors)');
  return { createdAt: Number(match[1]), id: match[2] };
}
