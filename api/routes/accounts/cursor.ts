import { z } from 'zod';

/** The position after the last row of a page, in the (date desc, id desc) order. */
export interface TransactionCursor {
  date: string;
  id: string;
}

/**
 * `<date>~<id>`: a position, not a token. Every value of this form is a place in the order (a
 * keyset), so a page after any of them is well defined (possibly empty); nothing is refused that
 * the schema admits.
 */
const CURSOR = /^([0-9][0-9A-Za-z:.+-]{0,34})~([A-Za-z0-9_-]{1,100})$/;

export const transactionCursorSchema = z
  .string()
  .regex(CURSOR, 'must be a nextCursor this API gave')
  .describe('nextCursor of the previous page: the page starts after that position (date desc, id desc)');

export function encodeCursor(cursor: TransactionCursor): string {
  return `${cursor.date}~${cursor.id}`;
}

/** The position in a cursor the schema admitted. */
export function decodeCursor(text: string): TransactionCursor {
  const match = CURSOR.exec(text);
  if (!match) throw new Error('not a transaction cursor (the query schema admits only cursors)');
  return { date: match[1], id: match[2] };
}
