import { eq, inArray } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { accounts, balanceHistory, balances, connections, transactions } from '../../db/pg/schema';
import type { AccountRepository } from '../accounts';
import { planAccounts, planBalances } from '../plans/accounts';
import { BALANCE_UPDATE_COLUMNS, fromExcluded } from '../plans/sql';
import {
  chunks,
  planTransactions,
  storedRowFilters,
  uniqueRows,
  type FetchedTransactions,
} from '../plans/transactions';
import type { Balance } from '../../xs2a/operations/types';

type Writes = Pick<
  AccountRepository,
  'rows' | 'transactionRows' | 'upsertAccounts' | 'storeBalances' | 'reconcileTransactions' | 'storeAccountReads'
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
      // Most syncs list the accounts as stored: a plan without writes needs no lock (one round trip
      // instead of four). A plan with writes is made again under the connection's lock.
      const seen = planAccounts(
        await db.select().from(accounts).where(eq(accounts.connectionId, connectionId)),
        connectionId,
        fetched,
        now,
      );
      if (!seen.updates.length && !seen.inserts.length) return seen.result;
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
        await lockAccount(tx, accountId);
        await writeBalances(tx, accountId, fetched, now);
      });
    },
    async reconcileTransactions(accountId, fetched, now) {
      return db.transaction(async (tx) => {
        const account = await lockAccount(tx, accountId);
        return writeTransactions(tx, account, fetched, now);
      });
    },
    async storeAccountReads(accountId, reads, now) {
      return db.transaction(async (tx) => {
        const account = await lockAccount(tx, accountId);
        await writeBalances(tx, accountId, reads.balances, now);
        return writeTransactions(tx, account, reads.transactions, now);
      });
    },
  };
}

type Tx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

/** Takes the account's row lock (its balance and transaction writers take turns) and reads what the writes need of it. */
async function lockAccount(tx: Tx, accountId: string) {
  const [row] = await tx
    .select({ id: accounts.id, lastBookedDate: accounts.lastBookedDate })
    .from(accounts)
    .where(eq(accounts.id, accountId))
    .for('update');
  return row ?? { id: accountId, lastBookedDate: null };
}

async function writeBalances(tx: Tx, accountId: string, fetched: Balance[], now: number) {
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
}

async function writeTransactions(
  tx: Tx,
  account: { id: string; lastBookedDate: string | null },
  fetched: FetchedTransactions,
  now: number,
) {
  const found = [];
  for (const where of storedRowFilters(transactions, account.id, fetched))
    found.push(...(await tx.select().from(transactions).where(where)));
  const plan = planTransactions(uniqueRows(found), account.id, fetched, now);
  for (const u of plan.updates) await tx.update(transactions).set(u.values).where(eq(transactions.id, u.id));
  for (const rows of chunks(plan.inserts)) await tx.insert(transactions).values(rows);
  for (const ids of chunks(plan.deletes)) await tx.delete(transactions).where(inArray(transactions.id, ids));
  // The locked row says whether the date moves: most syncs fetch nothing booked later.
  if (plan.lastBookedDate && plan.lastBookedDate > (account.lastBookedDate ?? ''))
    await tx
      .update(accounts)
      .set({ lastBookedDate: plan.lastBookedDate, updatedAt: now })
      .where(eq(accounts.id, account.id));
  return plan.result;
}
