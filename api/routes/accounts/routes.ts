import { and, asc, desc, eq, gte, inArray, lt, lte, or, type SQL } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { accounts, balanceHistory, balances, transactions } from '../../../db/schema';
import { principalOf } from '../../auth/authenticate';
import type { ApiApp, ApiDeps } from '../../deps';
import { ownedAccount, ownedConnection } from '../../ownership';
import { problemResponses } from '../../problem';
import { connectionIdParams } from '../connections/schemas';
import { decodeCursor, encodeCursor } from './cursor';
import {
  accountIdParams,
  accountListSchema,
  accountSchema,
  balancesQuery,
  balancesResponse,
  transactionPageSchema,
  transactionsQuery,
} from './schemas';

type AccountRow = typeof accounts.$inferSelect;
type BalanceRow = typeof balances.$inferSelect;

const iso = (ms: number) => new Date(ms).toISOString();

function balanceView(b: BalanceRow) {
  return {
    type: b.balanceType,
    amount: b.amount,
    currency: b.currency,
    referenceDate: b.referenceDate,
    lastChangeDateTime: b.lastChangeDateTime,
    creditLimitIncluded: b.creditLimitIncluded,
    fetchedAt: iso(b.fetchedAt),
  };
}

function latestBalances(db: Db, accountIds: string[]): Map<string, BalanceRow[]> {
  const byAccount = new Map<string, BalanceRow[]>();
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
}

/** The bank's resourceId is deliberately absent: it changes with each consent, our id does not. */
function accountView(a: AccountRow, accountBalances: BalanceRow[]) {
  return {
    id: a.id,
    connectionId: a.connectionId,
    kind: a.kind,
    iban: a.iban,
    maskedPan: a.maskedPan,
    currency: a.currency,
    name: a.name,
    product: a.product,
    status: a.status,
    balances: accountBalances.map(balanceView),
  };
}

export function accountRoutes(app: ApiApp, deps: ApiDeps): void {
  app.get(
    '/v1/connections/:id/accounts',
    {
      config: { scope: 'accounts:read' },
      schema: {
        tags: ['accounts'],
        summary: "A connection's accounts with their latest balances",
        params: connectionIdParams,
        response: { 200: accountListSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const connection = ownedConnection(deps.db, principalOf(request), request.params.id);
      const rows = deps.db
        .select()
        .from(accounts)
        .where(eq(accounts.connectionId, connection.id))
        .orderBy(asc(accounts.createdAt), asc(accounts.id))
        .all();
      const bals = latestBalances(
        deps.db,
        rows.map((r) => r.id),
      );
      return { accounts: rows.map((a) => accountView(a, bals.get(a.id) ?? [])) };
    },
  );

  app.get(
    '/v1/accounts/:id',
    {
      config: { scope: 'accounts:read' },
      schema: {
        tags: ['accounts'],
        summary: 'One account with its latest balances',
        params: accountIdParams,
        response: { 200: accountSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const account = ownedAccount(deps.db, principalOf(request), request.params.id);
      return accountView(account, latestBalances(deps.db, [account.id]).get(account.id) ?? []);
    },
  );

  app.get(
    '/v1/accounts/:id/balances',
    {
      config: { scope: 'accounts:read' },
      schema: {
        tags: ['accounts'],
        summary: 'Latest balance per type; with history=true every observed change, newest first',
        params: accountIdParams,
        querystring: balancesQuery,
        response: { 200: balancesResponse, ...problemResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const account = ownedAccount(deps.db, principalOf(request), request.params.id);
      const latest = latestBalances(deps.db, [account.id]).get(account.id) ?? [];
      const history = request.query.history
        ? deps.db
            .select()
            .from(balanceHistory)
            .where(eq(balanceHistory.accountId, account.id))
            .orderBy(desc(balanceHistory.fetchedAt), desc(balanceHistory.id))
            .all()
            .map((h) => ({
              type: h.balanceType,
              amount: h.amount,
              currency: h.currency,
              referenceDate: h.referenceDate,
              fetchedAt: iso(h.fetchedAt),
            }))
        : undefined;
      return { accountId: account.id, balances: latest.map(balanceView), ...(history ? { history } : {}) };
    },
  );

  app.get(
    '/v1/accounts/:id/transactions',
    {
      config: { scope: 'accounts:read' },
      schema: {
        tags: ['accounts'],
        summary: 'Transactions, newest first (date desc, id desc), cursor-paginated',
        params: accountIdParams,
        querystring: transactionsQuery,
        response: { 200: transactionPageSchema, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const account = ownedAccount(deps.db, principalOf(request), request.params.id);
      const q = request.query;
      const conditions: (SQL | undefined)[] = [eq(transactions.accountId, account.id)];
      if (q.status !== 'all') conditions.push(eq(transactions.bookingStatus, q.status));
      if (q.from) conditions.push(gte(transactions.date, q.from));
      if (q.to) conditions.push(lte(transactions.date, q.to));
      if (q.cursor) {
        const after = decodeCursor(q.cursor);
        conditions.push(
          or(lt(transactions.date, after.date), and(eq(transactions.date, after.date), lt(transactions.id, after.id))),
        );
      }
      // One row more than asked tells whether another page exists.
      const rows = deps.db
        .select()
        .from(transactions)
        .where(and(...conditions))
        .orderBy(desc(transactions.date), desc(transactions.id))
        .limit(q.limit + 1)
        .all();
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      return {
        transactions: page.map((t) => ({
          id: t.id,
          status: t.bookingStatus,
          date: t.date,
          bookingDate: t.bookingDate,
          valueDate: t.valueDate,
          transactionDate: t.transactionDate,
          amount: t.amount,
          currency: t.currency,
          creditorName: t.creditorName,
          debtorName: t.debtorName,
          remittanceInformation: t.remittanceInformation,
          entryReference: t.entryReference,
        })),
        ...(rows.length > q.limit && last ? { nextCursor: encodeCursor({ date: last.date, id: last.id }) } : {}),
      };
    },
  );
}
