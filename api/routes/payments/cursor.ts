import { z } from 'zod';
import type { PaymentCursor } from '../../../repositories/payments';

/**
 * `<createdAt in ms>~<id>`: a position, not a token. Every value of this form is a place in the
 * order (a keyset), so a page after any of them is well defined (possibly empty).
 */
const CURSOR = /^([0-9]{1,15})~([A-Za-z0-9_-]{1,100})$/;

export const paymentCursorSchema = z
  .string()
  .regex(CURSOR, 'must be a nextCursor this API gave')
  .describe('nextCursor of the previous page: the page starts after that position (createdAt desc, id desc)');

export function encodePaymentCursor(cursor: PaymentCursor): string {
  return `${cursor.createdAt}~${cursor.id}`;
}

/** The position in a cursor the schema admitted. */
export function decodePaymentCursor(text: string): PaymentCursor {
  const match = CURSOR.exec(text);
  if (!match) throw new Error('not a payment cursor (the query schema admits only cursors)');
  return { createdAt: Number(match[1]), id: match[2] };
}
