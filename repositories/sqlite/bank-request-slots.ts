import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { bankRequestSlots } from '../../db/schema';
import { reserveSlot, type BankRequestSlotRepository } from '../bank-request-slots';

/**
 * Processes sharing one SQLite file take turns on the bank's row in a BEGIN IMMEDIATE transaction
 * (the write lock before the read, so no two read the same tat), on the machine's clock, which all
 * of them read. `nowMs` is for tests.
 */
export function sqliteBankRequestSlots(db: Db, nowMs: () => number = Date.now): BankRequestSlotRepository {
  return {
    async reserve(request) {
      return db.transaction(
        (tx) => {
          const row = tx.select().from(bankRequestSlots).where(eq(bankRequestSlots.bankId, request.bankId)).get();
          // Read after the lock is held: a clock read before it could be stale by the wait for the lock.
          const { row: next, reservation } = reserveSlot(row, nowMs() * 1000, request);
          tx.insert(bankRequestSlots)
            .values({ bankId: request.bankId, ...next })
            .onConflictDoUpdate({ target: bankRequestSlots.bankId, set: next })
            .run();
          return reservation;
        },
        { behavior: 'immediate' },
      );
    },
  };
}
