import { and, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { payments } from '../../db/pg/schema';
import { paymentRecord, type PaymentRepository } from '../payments';

/** The same behaviour as repositories/sqlite/payments.ts, on PostgreSQL. */
export function pgPaymentRepository(db: PgDb): Pick<PaymentRepository, 'create' | 'get' | 'list'> {
  return {
    async create(payment) {
      const inserted = await db
        .insert(payments)
        .values({
          id: payment.id,
          customerId: payment.customerId,
          aspspId: payment.aspspId,
          product: payment.product,
          status: 'awaiting_authorisation',
          statusHistory: [{ status: 'awaiting_authorisation', at: payment.createdAt }],
          debtorIban: payment.debtorIban,
          creditorIban: payment.creditorIban,
          creditorName: payment.creditorName,
          amount: payment.amount,
          currency: payment.currency,
          remittanceInformation: payment.remittanceInformation ?? null,
          requestedExecutionDate: payment.requestedExecutionDate ?? null,
          redirectUrl: payment.redirectUrl,
          psuIpAddress: payment.psuIpAddress ?? null,
          createdAt: payment.createdAt,
          updatedAt: payment.createdAt,
        })
        .onConflictDoNothing()
        .returning({ id: payments.id });
      return inserted.length === 1;
    },

    async get(id) {
      const [row] = await db.select().from(payments).where(eq(payments.id, id)).limit(1);
      return row ? paymentRecord(row) : undefined;
    },

    async list(query) {
      const conditions: SQL[] = [];
      if (query.customerIds !== null) {
        if (query.customerIds.length === 0) return Promise.resolve({ items: [] });
        conditions.push(inArray(payments.customerId, [...query.customerIds]));
      }
      if (query.status) conditions.push(eq(payments.status, query.status));
      if (query.after) {
        const { createdAt, id } = query.after;
        conditions.push(
          or(lt(payments.createdAt, createdAt), and(eq(payments.createdAt, createdAt), lt(payments.id, id)))!,
        );
      }
      const rows = await db
        .select()
        .from(payments)
        .where(and(...conditions))
        .orderBy(desc(payments.createdAt), desc(payments.id))
        .limit(query.limit + 1);
      const items = rows.slice(0, query.limit).map(paymentRecord);
      const last = items[items.length - 1];
      return {
        items,
        ...(rows.length > query.limit && last ? { next: { createdAt: last.createdAt, id: last.id } } : {}),
      };
    },
  };
}
