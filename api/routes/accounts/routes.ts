import type { AccountRecord, BalanceRecord } from '../../../repositories';
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

const iso = (ms: number) => new Date(ms).toISOString();

function balanceView(b: BalanceRecord) {
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

/** The bank's resourceId is deliberately absent: it changes with each consent, our id does not. */
function accountView(a: AccountRecord, accountBalances: BalanceRecord[]) {
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
      const connection = await ownedConnection(deps.repositories, principalOf(request), request.params.id);
      const rows = await deps.repositories.accounts.listByConnection(connection.id);
      const bals = await deps.repositories.accounts.latestBalances(rows.map((r) => r.id));
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
      const account = await ownedAccount(deps.repositories, principalOf(request), request.params.id);
      const bals = await deps.repositories.accounts.latestBalances([account.id]);
      return accountView(account, bals.get(account.id) ?? []);
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
      const account = await ownedAccount(deps.repositories, principalOf(request), request.params.id);
      const latest = (await deps.repositories.accounts.latestBalances([account.id])).get(account.id) ?? [];
      const history = request.query.history
        ? (await deps.repositories.accounts.balanceHistory(account.id)).map((h) => ({
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
      const account = await ownedAccount(deps.repositories, principalOf(request), request.params.id);
      const q = request.query;
      // One row more than asked tells whether another page exists.
      const rows = await deps.repositories.accounts.transactions(account.id, {
        status: q.status,
        from: q.from,
        to: q.to,
        after: q.cursor ? decodeCursor(q.cursor) : undefined,
        limit: q.limit + 1,
      });
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
          description: t.description,
          remittanceInformation: t.remittanceInformation,
          additionalInformation: t.additionalInformation,
          entryReference: t.entryReference,
        })),
        ...(rows.length > q.limit && last ? { nextCursor: encodeCursor({ date: last.date, id: last.id }) } : {}),
      };
    },
  );
}
