import type { Account, Balance } from '../xs2a/operations/types';
import type { FetchedTransactions, ReconcileResult } from './plans/transactions';
import type { AccountRow, TransactionRow } from './rows';

export type { ReconcileResult } from './plans/transactions';

export interface AccountRecord {
  id: string;
  connectionId: string;
  /** The bank's id: changes with each consent, never shown to our products. */
  resourceId: string;
  kind: 'account' | 'card-account';
  iban: string | null;
  maskedPan: string | null;
  currency: string;
  name: string | null;
  product: string | null;
  status: 'active' | 'gone';
}

export interface BalanceRecord {
  accountId: string;
  balanceType: string;
  amount: string;
  currency: string;
  referenceDate: string | null;
  lastChangeDateTime: string | null;
  creditLimitIncluded: boolean | null;
  fetchedAt: number;
}

export interface BalanceHistoryRecord {
  balanceType: string;
  amount: string;
  currency: string;
  referenceDate: string | null;
  fetchedAt: number;
}

export interface TransactionRecord {
  id: string;
  bookingStatus: 'booked' | 'pending';
  date: string;
  bookingDate: string | null;
  valueDate: string | null;
  transactionDate: string | null;
  amount: string;
  currency: string;
  creditorName: string | null;
  debtorName: string | null;
  remittanceInformation: string | null;
  additionalInformation: string | null;
  description: string | null;
  entryReference: string | null;
}

export interface TransactionQuery {
  status: 'booked' | 'pending' | 'all';
  from?: string;
  to?: string;
  /** Rows strictly after this position in (date desc, id desc) order. */
  after?: { date: string; id: string };
  limit: number;
}

export interface AccountRepository {
  /** The account with its connection's customer, for ownership checks; none once the connection is deleted. */
  get(id: string): Promise<{ account: AccountRecord; customerId: string } | undefined>;
  /** Oldest first (createdAt, id). */
  listByConnection(connectionId: string): Promise<AccountRecord[]>;
  /** Latest balance per type, by account id, ordered by type. */
  latestBalances(accountIds: string[]): Promise<Map<string, BalanceRecord[]>>;
  /** Every observed change, newest first. */
  balanceHistory(accountId: string): Promise<BalanceHistoryRecord[]>;
  /** Newest first (date desc, id desc), at most `limit` rows. */
  transactions(accountId: string, query: TransactionQuery): Promise<TransactionRecord[]>;

  // The write side: the sync activity (plans in repositories/plans, applied in one transaction each).

  /** A connection's stored rows, whatever their status. */
  rows(connectionId: string): Promise<AccountRow[]>;
  /** An account's stored transaction rows (any order). */
  transactionRows(accountId: string): Promise<TransactionRow[]>;
  /** Upserts the listed accounts; the ones no longer listed become 'gone'. Returns resourceId → our row. */
  upsertAccounts(connectionId: string, fetched: Account[], now: number): Promise<Map<string, AccountRow>>;
  /** Latest balance per type, plus a history row whenever the amount or reference date changed. */
  storeBalances(accountId: string, fetched: Balance[], now: number): Promise<void>;
  /** One row per real transaction: upserts, pending→booked, removed pending rows (plans/transactions.ts). */
  reconcileTransactions(accountId: string, fetched: FetchedTransactions, now: number): Promise<ReconcileResult>;
  /**
   * What one sync read of an account: its balances and transactions, stored as storeBalances and
   * reconcileTransactions would, in one transaction (on PostgreSQL one lock and one round trip
   * pair instead of two).
   */
  storeAccountReads(
    accountId: string,
    reads: { balances: Balance[]; transactions: FetchedTransactions },
    now: number,
  ): Promise<ReconcileResult>;
}
