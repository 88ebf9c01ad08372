import type { PaymentRow, Repositories } from '../../repositories';

/** The payment activities' reads of the `payments` row (the writes are repositories.payments'). */

export type { PaymentRow };

export async function requirePayment(repositories: Repositories, paymentId: string): Promise<PaymentRow> {
  const row = await repositories.payments.row(paymentId);
  if (!row) throw new Error(`payment ${paymentId} does not exist`);
  return row;
}
