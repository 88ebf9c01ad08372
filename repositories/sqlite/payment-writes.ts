import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { authorisations, payments } from '../../db/schema';
import type { PaymentRepository } from '../payments';
import { paymentStatusWrites } from '../plans/status';
import { sqliteEnqueue } from './outbox';

type Writes = Pick<PaymentRepository, 'row' | 'update' | 'prepareInitiation' | 'recordStatus'>;

export function sqlitePaymentWrites(db: Db): Writes {
  return {
    async row(id) {
      return db.select().from(payments).where(eq(payments.id, id)).get();
    },
    async update(id, values, at) {
      db.update(payments)
        .set({ ...values, updatedAt: at })
        .where(eq(payments.id, id))
        .run();
    },
    async prepareInitiation(session, values, at) {
      db.transaction((tx) => {
        tx.insert(authorisations).values(session).run();
        tx.update(payments)
          .set({ ...values, updatedAt: at })
          .where(eq(payments.id, session.subjectId))
          .run();
      });
    },
    async recordStatus(input, at) {
      db.transaction((tx) => {
        const row = tx.select().from(payments).where(eq(payments.id, input.paymentId)).get();
        if (!row) throw new Error(`payment ${input.paymentId} does not exist`);
        const writes = paymentStatusWrites(row, input, at);
        tx.update(payments).set(writes.set).where(eq(payments.id, row.id)).run();
        sqliteEnqueue(tx, writes.event ? [writes.event] : []);
      });
    },
  };
}
