import { eq, inArray, sql } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { accounts, balanceHistory, balances, connections, transactions } from '../../db/pg/schema';
import type { AccountRepository } from '../accounts';
import { planAccounts, planBalances } from '../plans/accounts';
import { BALANCE_UPDATE_COLUMNS, fromExcluded } from '../plans/sql';
import { chunks, planTransactions, storedRowFilters, uniqueRows } from '../plans/transactions';

type Writes = Pick<
  AccountRepository,
  'rows' | 'transactionRows' | 'upsertAccounts' | 'storeBalances' | 'reconcileTransactions'
>;

/**
 * The sync's writes on PostgreSQL. Each plan is read and applied in one transaction that first
 * locks the parent row (the connection for its accounts, the account for its balances and
 * transactions): two workers syncing the same account take turns, and the second plans against
 * what the first committed (READ COMMITTED reads anew after the lock), so nothing is stored twice.
 */
export function pgAccountWrites(db: PgDb): Writes {
  return {
    async rows(connectionId) {
      return db.select().from(accounts).where(eq(accounts.connectionId, connectionId));
    },
    async transactionRows(accountId) {
      return db.select().from(transactions).where(eq(transactions.accountId, accountId));
    },
    async upsertAccounts(connectionId, fetched, now) {
      return db.transaction(async (tx) => {
        await tx.select({ id: connections.id }).from(connections).where(eq(connections.id, connectionId)).for('update');
        const rows = await tx.select().from(accounts).where(eq(accounts.connectionId, connectionId));
        const plan = planAccounts(rows, connectionId, fetched, now);
        for (const u of plan.updates) await tx.update(accounts).set(u.values).where(eq(accounts.id, u.id));
        if (plan.inserts.length) await tx.insert(accounts).values(plan.inserts);
        return plan.result;
      });
    },
    async storeBalances(accountId, fetched, now) {
      await db.transaction(async (tx) => {
        await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for('update');
        const stored = await tx.select().from(balances).where(eq(balances.accountId, accountId));
        const plan = planBalances(stored, accountId, fetched, now);
        if (plan.latest.length)
          await tx
            .insert(balances)
            .values(plan.latest)
            .onConflictDoUpdate({
              target: [balances.accountId, balances.balanceType],
              set: fromExcluded(balances, BALANCE_UPDATE_COLUMNS),
            });
        if (plan.history.length) await tx.insert(balanceHistory).values(plan.history);
      });
    },
    async reconcileTransactions(accountId, fetched, now) {
      return db.transaction(async (tx) => {
        await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId)).for('update');
        const found = [];
        for (const where of storedRowFilters(transactions, accountId, fetched))
          found.push(...(await tx.select().from(transactions).where(where)));
        const existing = uniqueRows(found);
        const plan = planTransactions(existing, accountId, fetched, now);
        for (const u of plan.updates) await tx.update(transactions).set(u.values).where(eq(transactions.id, u.id));
        for (const rows of chunks(plan.inserts)) await tx.insert(transactions).values(rows);
        for (const ids of chunks(plan.deletes)) await tx.delete(transactions).where(inArray(transactions.id, ids));
        if (plan.lastBookedDate)
          await tx
            .update(accounts)
            .set({ lastBookedDate: sql`greatest(${accounts.lastBookedDate}, ${plan.lastBookedDate})`, updatedAt: now })
            .where(eq(accounts.id, accountId));
        return plan.result;
      });
    },
  };
}
