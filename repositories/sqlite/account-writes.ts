import { and, eq, inArray, or, sql, type Column, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { accounts, balanceHistory, balances, transactions } from '../../db/schema';
import type { AccountRepository } from '../accounts';
import type { Balance } from '../../xs2a/operations/types';
import type { FetchedTransactions } from '../plans/transactions';
import { planAccounts, planBalances } from '../plans/accounts';
import { BALANCE_UPDATE_COLUMNS, fromExcluded } from '../plans/sql';
import { chunks, fetchedKeys, planTransactions } from '../plans/transactions';
import { prepareOnce } from './prepared';

type Writes = Pick<
  AccountRepository,
  'rows' | 'transactionRows' | 'upsertAccounts' | 'storeBalances' | 'reconcileTransactions' | 'storeAccountReads'
>;

/**
 * The sync's writes on SQLite. Each plan is read and applied in one `BEGIN IMMEDIATE` transaction:
 * the write lock is taken before the read, so another process's sync of the same account waits
 * (busy timeout) and then plans against what this one stored. The reads every sync makes are
 * prepared queries: drizzle builds a select's SQL anew on each call, which cost more than running it.
 */
export function sqliteAccountWrites(db: Db): Writes {
  const immediate = { behavior: 'immediate' } as const;
  const accountsOf = prepareOnce(() =>
    db
      .select()
      .from(accounts)
      .where(eq(accounts.connectionId, sql.placeholder('connectionId')))
      .prepare(),
  );
  const balancesOf = prepareOnce(() =>
    db
      .select()
      .from(balances)
      .where(eq(balances.accountId, sql.placeholder('accountId')))
      .prepare(),
  );
  // storedRowFilters' rows; the keys are bound as JSON arrays, so the statement never changes and
  // each OR term (naming the account) is answered from its own index (MULTI-INDEX OR).
  const storedTransactions = prepareOnce(() => {
    const ofAccount = (condition: SQL) => and(eq(transactions.accountId, sql.placeholder('accountId')), condition);
    const inJson = (column: Column, name: string) =>
      sql`${column} in (select value from json_each(${sql.placeholder(name)}))`;
    return db
      .select()
      .from(transactions)
      .where(
        or(
          ofAccount(eq(transactions.bookingStatus, 'pending')),
          ofAccount(inJson(transactions.bankTransactionId, 'bankIds')),
          ofAccount(inJson(transactions.fingerprint, 'fingerprints')),
        ),
      )
      .prepare();
  });
  // One row per call: a prepared statement per row count would not pay. better-sqlite3 binds no
  // booleans, so creditLimitIncluded goes in as 0/1 (as drizzle's boolean column stores it).
  const upsertBalance = prepareOnce(() =>
    db
      .insert(balances)
      .values({
        accountId: sql.placeholder('accountId'),
        balanceType: sql.placeholder('balanceType'),
        amount: sql.placeholder('amount'),
        currency: sql.placeholder('currency'),
        referenceDate: sql.placeholder('referenceDate'),
        lastChangeDateTime: sql.placeholder('lastChangeDateTime'),
        // Bound as given: drizzle's boolean encoder would turn null into 0.
        creditLimitIncluded: sql`${sql.placeholder('creditLimitIncluded')}`,
        fetchedAt: sql.placeholder('fetchedAt'),
      })
      .onConflictDoUpdate({
        target: [balances.accountId, balances.balanceType],
        set: fromExcluded(balances, BALANCE_UPDATE_COLUMNS),
      })
      .prepare(),
  );
  const advanceLastBookedDate = prepareOnce(() =>
    db
      .update(accounts)
      .set({
        lastBookedDate: sql`max(coalesce(${accounts.lastBookedDate}, ''), ${sql.placeholder('date')})`,
        updatedAt: sql`${sql.placeholder('now')}`,
      })
      .where(eq(accounts.id, sql.placeholder('accountId')))
      .prepare(),
  );
  // Run inside a transaction (the prepared queries and the builders share the one connection).
  const writeBalances = (accountId: string, fetched: Balance[], now: number) => {
    const stored = balancesOf().all({ accountId });
    const plan = planBalances(stored, accountId, fetched, now);
    for (const b of plan.latest)
      upsertBalance().run({
        ...b,
        creditLimitIncluded: b.creditLimitIncluded == null ? null : Number(b.creditLimitIncluded),
      });
    if (plan.history.length) db.insert(balanceHistory).values(plan.history).run();
  };
  const writeTransactions = (accountId: string, fetched: FetchedTransactions, now: number) => {
    const keys = fetchedKeys(fetched);
    const existing = storedTransactions().all({
      accountId,
      bankIds: JSON.stringify(keys.bankIds),
      fingerprints: JSON.stringify(keys.fingerprints),
    });
    const plan = planTransactions(existing, accountId, fetched, now);
    for (const u of plan.updates) db.update(transactions).set(u.values).where(eq(transactions.id, u.id)).run();
    for (const rows of chunks(plan.inserts)) db.insert(transactions).values(rows).run();
    for (const ids of chunks(plan.deletes)) db.delete(transactions).where(inArray(transactions.id, ids)).run();
    if (plan.lastBookedDate) advanceLastBookedDate().run({ accountId, date: plan.lastBookedDate, now });
    return plan.result;
  };
  return {
    async rows(connectionId) {
      return accountsOf().all({ connectionId });
    },
    async transactionRows(accountId) {
      return db.select().from(transactions).where(eq(transactions.accountId, accountId)).all();
    },
    async upsertAccounts(connectionId, fetched, now) {
      return db.transaction((tx) => {
        const rows = accountsOf().all({ connectionId });
        const plan = planAccounts(rows, connectionId, fetched, now);
        for (const u of plan.updates) tx.update(accounts).set(u.values).where(eq(accounts.id, u.id)).run();
        if (plan.inserts.length) tx.insert(accounts).values(plan.inserts).run();
        return plan.result;
      }, immediate);
    },
    async storeBalances(accountId, fetched, now) {
      db.transaction(() => writeBalances(accountId, fetched, now), immediate);
    },
    async reconcileTransactions(accountId, fetched, now) {
      return db.transaction(() => writeTransactions(accountId, fetched, now), immediate);
    },
    async storeAccountReads(accountId, reads, now) {
      return db.transaction(() => {
        writeBalances(accountId, reads.balances, now);
        return writeTransactions(accountId, reads.transactions, now);
      }, immediate);
    },
  };
}
