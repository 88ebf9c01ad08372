import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, or, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { accounts, balanceHistory, balances, connections, transactions } from '../../db/schema';
import type { AccountRecord, AccountRepository, BalanceRecord } from '../accounts';

const accountColumns = {
  id: accounts.id,
  connectionId: accounts.connectionId,
  resourceId: accounts.resourceId,
  kind: accounts.kind,
  iban: accounts.iban,
  maskedPan: accounts.maskedPan,
  currency: accounts.currency,
  name: accounts.name,
  product: accounts.product,
  status: accounts.status,
};

export function sqliteAccountRepository(
  db: Db,
): Pick<AccountRepository, 'get' | 'listByConnection' | 'latestBalances' | 'balanceHistory' | 'transactions'> {
  return {
    async get(id) {
      return db
        .select({ account: accountColumns, customerId: connections.customerId })
        .from(accounts)
        .innerJoin(connections, eq(accounts.connectionId, connections.id))
        .where(and(eq(accounts.id, id), isNull(connections.deletedAt)))
        .get();
    },
    async listByConnection(connectionId): Promise<AccountRecord[]> {
      return db
        .select(accountColumns)
        .from(accounts)
        .where(eq(accounts.connectionId, connectionId))
        .orderBy(asc(accounts.createdAt), asc(accounts.id))
        .all();
    },
    async latestBalances(accountIds) {
      const byAccount = new Map<string, BalanceRecord[]>();
      if (!accountIds.length) return byAccount;
      for (const b of db
        .select()
        .from(balances)
        .where(inArray(balances.accountId, accountIds))
        .orderBy(asc(balances.balanceType))
        .all()) {
        const list = byAccount.get(b.accountId) ?? [];
        list.push(b);
        byAccount.set(b.accountId, list);
      }
      return byAccount;
    },
    async balanceHistory(accountId) {
      return db
        .select({
          balanceType: balanceHistory.balanceType,
          amount: balanceHistory.amount,
          currency: balanceHistory.currency,
          referenceDate: balanceHistory.referenceDate,
          fetchedAt: balanceHistory.fetchedAt,
        })
        .from(balanceHistory)
        .where(eq(balanceHistory.accountId, accountId))
        .orderBy(desc(balanceHistory.fetchedAt), desc(balanceHistory.id))
        .all();
    },
    async transactions(accountId, q) {
      const conditions: (SQL | undefined)[] = [eq(transactions.accountId, accountId)];
      if (q.status !== 'all') conditions.push(eq(transactions.bookingStatus, q.status));
      if (q.from) conditions.push(gte(transactions.date, q.from));
      if (q.to) conditions.push(lte(transactions.date, q.to));
      if (q.after) {
        const { date, id } = q.after;
        conditions.push(or(lt(transactions.date, date), and(eq(transactions.date, date), lt(transactions.id, id))));
      }
      return db
        .select({
          id: transactions.id,
          bookingStatus: transactions.bookingStatus,
          date: transactions.date,
          bookingDate: transactions.bookingDate,
          valueDate: transactions.valueDate,
          transactionDate: transactions.transactionDate,
          amount: transactions.amount,
          currency: transactions.currency,
          creditorName: transactions.creditorName,
          debtorName: transactions.debtorName,
          remittanceInformation: transactions.remittanceInformation,
          additionalInformation: transactions.additionalInformation,
          description: transactions.description,
          entryReference: transactions.entryReference,
        })
        .from(transactions)
        .where(and(...conditions))
        .orderBy(desc(transactions.date), desc(transactions.id))
        .limit(q.limit)
        .all();
    },
  };
}
