import { eq } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { authorisations, payments } from '../../db/pg/schema';
import type { PaymentRepository } from '../payments';
import { paymentStatusWrites } from '../plans/status';
import { pgEnqueue } from './outbox';

type Writes = Pick<PaymentRepository, 'row' | 'update' | 'prepareInitiation' | 'recordStatus'>;

export function pgPaymentWrites(db: PgDb): Writes {
  return {
    async row(id) {
      const [row] = await db.select().from(payments).where(eq(payments.id, id)).limit(1);
      return row;
    },
    async update(id, values, at) {
      await db
        .update(payments)
        .set({ ...values, updatedAt: at })
        .where(eq(payments.id, id));
    },
    async prepareInitiation(session, values, at) {
      await db.transaction(async (tx) => {
        await tx.insert(authorisations).values(session);
        await tx
          .update(payments)
          .set({ ...values, updatedAt: at })
          .where(eq(payments.id, session.subjectId));
      });
    },
    async recordStatus(input, at) {
      await db.transaction(async (tx) => {
        // Locked: the history's position keys the event, so two writers must not read the same one.
        const [row] = await tx.select().from(payments).where(eq(payments.id, input.paymentId)).for('update');
        if (!row) throw new Error(`payment ${input.paymentId} does not exist`);
        const writes = paymentStatusWrites(row, input, at);
        await tx.update(payments).set(writes.set).where(eq(payments.id, row.id));
        await pgEnqueue(tx, writes.event ? [writes.event] : []);
      });
    },
  };
}
