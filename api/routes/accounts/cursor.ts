import { ApiProblem } from '../../problem';

/** The position after the last row of a page, in the (date desc, id desc) order. */
export interface TransactionCursor {
  date: string;
  id: string;
}

export function encodeCursor(cursor: TransactionCursor): string {
  return Buffer.from(JSON.stringify([cursor.date, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): TransactionCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { date: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new ApiProblem(400, 'the cursor is not one we issued', {
    errors: [{ field: 'cursor', message: 'invalid cursor' }],
  });
}
