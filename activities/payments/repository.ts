import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { payments } from '../../db/schema';
import type { PaymentStatus } from '../../workflows/payment/contract';
import { recordPaymentStatusChanged } from '../../webhooks/outbox';

/** The payment activities' reads and writes of the `payments` row (the API reads it through repositories/). */

export type PaymentRow = typeof payments.$inferSelect;

export function requirePayment(db: Db, paymentId: string): PaymentRow {
  const row = db.select().from(payments).where(eq(payments.id, paymentId)).get();
  if (!row) throw new Error(`payment ${paymentId} does not exist`);
  return row;
}

export function updatePayment(db: Db, paymentId: string, patch: Partial<Omit<PaymentRow, 'id'>>, now: number): void {
  db.update(payments)
    .set({ ...patch, updatedAt: now })
    .where(eq(payments.id, paymentId))
    .run();
}

/**
 * Writes everything the API shows of a payment: status, bank status, reason and last error; a
 * change of status or bank status is appended to the history.
 */
export function recordStatus(
  db: Db,
  input: { paymentId: string; status: PaymentStatus; bankStatus?: string; reason?: string; lastError?: string },
  now: number,
): void {
  db.transaction((tx) => {
    const row = tx.select().from(payments).where(eq(payments.id, input.paymentId)).get();
    if (!row) throw new Error(`payment ${input.paymentId} does not exist`);
    const bankStatus = input.bankStatus ?? row.bankStatus ?? undefined;
    const changed = row.status !== input.status || (row.bankStatus ?? undefined) !== bankStatus;
    tx.update(payments)
      .set({
        status: input.status,
        bankStatus: bankStatus ?? null,
        statusReason: input.reason ?? null,
        lastError: input.lastError ?? row.lastError,
        statusHistory: changed
          ? [...row.statusHistory, { status: input.status, ...(bankStatus ? { bankStatus } : {}), at: now }]
          : row.statusHistory,
        updatedAt: now,
      })
      .where(eq(payments.id, input.paymentId))
      .run();
    // In the same transaction, keyed by the history's position: a retried activity emits nothing new.
    recordPaymentStatusChanged(tx, {
      paymentId: row.id,
      customerId: row.customerId,
      previousStatus: row.status,
      status: input.status,
      bankStatus: bankStatus ?? null,
      changeId: row.statusHistory.length,
      at: now,
    });
  });
}
