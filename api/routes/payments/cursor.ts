import type { PaymentCursor } from '../../../repositories/payments';
import { ApiProblem } from '../../problem';

export function encodePaymentCursor(cursor: PaymentCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

export function decodePaymentCursor(text: string): PaymentCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'string') {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new ApiProblem(400, 'the cursor is not one we issued', {
    errors: [{ field: 'cursor', message: 'invalid cursor' }],
  });
}
