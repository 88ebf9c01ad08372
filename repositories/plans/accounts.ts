import { randomUUID } from 'node:crypto';
import type { Account, Balance } from '../../xs2a/operations/types';
import type { BalanceRecord } from '../accounts';
import type { AccountRow } from '../rows';

/**
 * Finds our account for what the bank listed: on its resourceId first, then on
 * IBAN, then masked PAN. Banks may issue new resourceIds on every consent; our
 * ids must survive that, or every product built on them breaks at re-consent.
 */
function match(rows: AccountRow[], fetched: Account): AccountRow | undefined {
  return (
    rows.find((r) => r.resourceId === fetched.resourceId) ??
    (fetched.iban ? rows.find((r) => r.iban === fetched.iban && r.currency === fetched.currency) : undefined) ??
    (fetched.maskedPan
      ? rows.find((r) => r.maskedPan === fetched.maskedPan && r.currency === fetched.currency)
      : undefined) ??
    (fetched.bban ? rows.find((r) => r.bban === fetched.bban) : undefined)
  );
}

/** True when every value but updatedAt is what the row already holds. */
function sameValues(row: AccountRow, values: Partial<AccountRow>): boolean {
  return Object.entries(values).every(([key, value]) => key === 'updatedAt' || row[key as keyof AccountRow] === value);
}

export interface AccountWrites {
  updates: { id: string; values: Partial<AccountRow> }[];
  inserts: AccountRow[];
  /** resourceId → our row, as it is after the writes. */
  result: Map<string, AccountRow>;
}

/**
 * Plans the upsert of the listed accounts against a connection's stored ones; the ones no longer
 * listed become 'gone'. Each backend reads the rows and applies the plan in one transaction that
 * no other writer of the connection's accounts interleaves with.
 */
export function planAccounts(rows: AccountRow[], connectionId: string, fetched: Account[], now: number): AccountWrites {
  const claimed = new Set<string>();
  const writes: AccountWrites = { updates: [], inserts: [], result: new Map() };
  for (const a of fetched) {
    const existing = match(
      rows.filter((r) => !claimed.has(r.id)),
      a,
    );
    const values = {
      resourceId: a.resourceId,
      kind: a.kind,
      iban: a.iban ?? null,
      bban: a.bban ?? null,
      maskedPan: a.maskedPan ?? null,
      currency: a.currency,
      name: a.name ?? null,
      product: a.product ?? null,
      ownerName: a.ownerName ?? null,
      cashAccountType: a.cashAccountType ?? null,
      status: 'active' as const,
      updatedAt: now,
    };
    let row: AccountRow;
    if (existing) {
      // The usual sync lists the same accounts: no write where nothing changed.
      if (!sameValues(existing, values)) writes.updates.push({ id: existing.id, values });
      row = { ...existing, ...values };
    } else {
      row = { id: `acc_${randomUUID()}`, connectionId, lastBookedDate: null, createdAt: now, ...values };
      writes.inserts.push(row);
    }
    claimed.add(row.id);
    writes.result.set(a.resourceId, row);
  }
  for (const r of rows) {
    if (!claimed.has(r.id) && r.status !== 'gone')
      writes.updates.push({ id: r.id, values: { status: 'gone', updatedAt: now } });
  }
  return writes;
}

export interface BalanceWrites {
  /** Upserted on (accountId, balanceType). */
  latest: BalanceRecord[];
  /** A history row whenever the amount or reference date changed. */
  history: Omit<BalanceRecord, 'lastChangeDateTime' | 'creditLimitIncluded'>[];
}

/** The latest balance per type, plus a history row whenever the amount or reference date changed. */
export function planBalances(
  stored: Pick<BalanceRecord, 'balanceType' | 'amount' | 'referenceDate'>[],
  accountId: string,
  fetched: Balance[],
  now: number,
): BalanceWrites {
  const latest = new Map(stored.map((b) => [b.balanceType, b]));
  const writes: BalanceWrites = { latest: [], history: [] };
  const byType = new Map<string, BalanceRecord>();
  for (const b of fetched) {
    const previous = latest.get(b.balanceType);
    const values: BalanceRecord = {
      accountId,
      balanceType: b.balanceType,
      amount: b.balanceAmount.amount,
      currency: b.balanceAmount.currency,
      referenceDate: b.referenceDate ?? null,
      lastChangeDateTime: b.lastChangeDateTime ?? null,
      creditLimitIncluded: b.creditLimitIncluded ?? null,
      fetchedAt: now,
    };
    byType.set(b.balanceType, values);
    if (!previous || previous.amount !== values.amount || previous.referenceDate !== values.referenceDate) {
      writes.history.push({
        accountId,
        balanceType: b.balanceType,
        amount: values.amount,
        currency: values.currency,
        referenceDate: values.referenceDate,
        fetchedAt: now,
      });
    }
  }
  // One row per type (the last listed wins): one upsert statement may touch a row only once.
  writes.latest = [...byType.values()];
  return writes;
}
