import { eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { accounts, balanceHistory, balances, transactions } from '../../db/schema';
import type { AccountRepository } from '../accounts';
import { planAccounts, planBalances } from '../plans/accounts';
import { BALANCE_UPDATE_COLUMNS, fromExcluded } from '../plans/sql';
import { chunks, planTransactions, storedRowFilters, uniqueRows } from '../plans/transactions';

type Writes = Pick<
  AccountRepository,
  'rows' | 'transactionRows' | 'upsertAccounts' | 'storeBalances' | 'reconcileTransactions'
>;

/**
 * The sync's writes on SQLite. Each plan is read and applied in one `BEGIN IMMEDIATE` transaction:
 * the write lock is taken before the read, so another process's sync of the same account waits
 * (busy timeout) and then plans against what this one stored.
 */
export function sqliteAccountWrites(db: Db): Writes {
  const immediate = { behavior: 'immediate' } as const;
  return {
    async rows(connectionId) {
      return db.select().from(accounts).where(eq(accounts.connectionId, connectionId)).all();
    },
    async transactionRows(accountId) {
      return db.select().from(transactions).where(eq(transactions.accountId, accountId)).all();
    },
    async upsertAccounts(connectionId, fetched, now) {
      return db.transaction((tx) => {
        const rows = tx.select().from(accounts).where(eq(accounts.connectionId, connectionId)).all();
        const plan = planAccounts(rows, connectionId, fetched, now);
        for (const u of plan.updates) tx.update(accounts).set(u.values).where(eq(accounts.id, u.id)).run();
        if (plan.inserts.length) tx.insert(accounts).values(plan.inserts).run();
        return plan.result;
      }, immediate);
    },
    async storeBalances(accountId, fetched, now) {
      db.transaction((tx) => {
        const stored = tx.select().from(balances).where(eq(balances.accountId, accountId)).all();
        const plan = planBalances(stored, accountId, fetched, now);
        if (plan.latest.length)
          tx.insert(balances)
            .values(plan.latest)
            .onConflictDoUpdate({
              target: [balances.accountId, balances.balanceType],
              set: fromExcluded(balances, BALANCE_UPDATE_COLUMNS),
            })
            .run();
        if (plan.history.length) tx.insert(balanceHistory).values(plan.history).run();
      }, immediate);
    },
    async reconcileTransactions(accountId, fetched, now) {
      return db.transaction((tx) => {
        const existing = uniqueRows(
          storedRowFilters(transactions, accountId, fetched).flatMap((where) =>
            tx.select().from(transactions).where(where).all(),
          ),
        );
        const plan = planTransactions(existing, accountId, fetched, now);
        for (const u of plan.updates) tx.update(transactions).set(u.values).where(eq(transactions.id, u.id)).run();
        for (const rows of chunks(plan.inserts)) tx.insert(transactions).values(rows).run();
        for (const ids of chunks(plan.deletes)) tx.delete(transactions).where(inArray(transactions.id, ids)).run();
        if (plan.lastBookedDate)
          tx.update(accounts)
            .set({
              lastBookedDate: sql`max(coalesce(${accounts.lastBookedDate}, ''), ${plan.lastBookedDate})`,
              updatedAt: now,
            })
            .where(eq(accounts.id, accountId))
            .run();
        return plan.result;
      }, immediate);
    },
  };
}
