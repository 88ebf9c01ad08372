import { createHash, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { and, eq, inArray, or, type Column, type SQL } from 'drizzle-orm';
import type { Transaction } from '../../xs2a/operations/types';
import type { TransactionRow } from '../rows';

const DAY_MS = 86_400_000;
/** How far a booking may move from the pending transaction's date and still be the same purchase. */
const BOOKING_DRIFT_DAYS = 5;

const displayDate = (t: Transaction) => t.bookingDate ?? t.transactionDate ?? t.valueDate ?? '';
/** The date that does not move when a pending transaction books. */
const stableDate = (t: Transaction) => t.transactionDate ?? t.valueDate ?? t.bookingDate ?? '';
const counterparty = (t: { creditorName?: string | null; debtorName?: string | null }) =>
  t.creditorName ?? t.debtorName ?? '';

/**
 * The key a transaction is stored under: the bank's id where it gives one, else a
 * hash of what stays the same from pending to booked, numbered within the list
 * so that two equal coffees on one day stay two rows.
 */
function fingerprints(list: Transaction[]): string[] {
  const seen = new Map<string, number>();
  return list.map((t) => {
    if (t.transactionId) return `id:${t.transactionId}`;
    const base = createHash('sha256')
      .update(
        [
          stableDate(t),
          t.transactionAmount.amount,
          t.transactionAmount.currency,
          counterparty(t),
          t.remittanceInformationUnstructured ?? '',
          t.entryReference ?? '',
        ].join('\u241f'),
      )
      .digest('hex')
      .slice(0, 32);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return `fp:${base}#${n}`;
  });
}

/**
 * Berlin Group account transactions carry no transactionDate, and a pending one may
 * carry no date at all: such a row is dated by the day we first saw it.
 */
function rowValues(t: Transaction, fingerprint: string, now: number, previous?: TransactionRow) {
  return {
    bankTransactionId: t.transactionId ?? null,
    fingerprint,
    bookingStatus: t.bookingStatus,
    bookingDate: t.bookingDate ?? null,
    valueDate: t.valueDate ?? null,
    transactionDate: t.transactionDate ?? null,
    date: displayDate(t) || previous?.date || new Date(now).toISOString().slice(0, 10),
    amount: t.transactionAmount.amount,
    currency: t.transactionAmount.currency,
    creditorName: t.creditorName ?? null,
    debtorName: t.debtorName ?? null,
    remittanceInformation: t.remittanceInformationUnstructured ?? null,
    additionalInformation: t.additionalInformation ?? null,
    description: t.description ?? null,
    entryReference: t.entryReference ?? null,
    raw: t.raw,
    updatedAt: now,
  };
}

/** True when storing these values would change nothing but updatedAt (a re-fetched, unchanged transaction). */
function unchanged(row: TransactionRow, values: TransactionValues): boolean {
  for (const key of Object.keys(values) as (keyof TransactionValues)[]) {
    if (key === 'updatedAt') continue;
    if (key === 'raw' ? !isDeepStrictEqual(row.raw ?? null, values.raw ?? null) : row[key] !== values[key])
      return false;
  }
  return true;
}

const daysApart = (a: string, b: string) => Math.abs(Date.parse(a) - Date.parse(b)) / DAY_MS;

/** A still-stored pending row that this newly booked transaction (with a new id) replaces. */
function pendingPredecessor(candidates: TransactionRow[], t: Transaction): TransactionRow | undefined {
  let best: TransactionRow | undefined;
  let bestGap = Infinity;
  for (const row of candidates) {
    if (row.amount !== t.transactionAmount.amount || row.currency !== t.transactionAmount.currency) continue;
    if (counterparty(row) !== counterparty(t)) continue;
    const gap = daysApart(row.transactionDate ?? row.date, stableDate(t) || displayDate(t));
    // Equal gaps go to the row seen first: the choice must not depend on the order rows are read in.
    const earlier = best !== undefined && (row.firstSeenAt - best.firstSeenAt || (row.id < best.id ? -1 : 1)) < 0;
    if (gap <= BOOKING_DRIFT_DAYS && (gap < bestGap || (gap === bestGap && earlier))) {
      best = row;
      bestGap = gap;
    }
  }
  return best;
}

/** A sync's transactions of one account, split as the bank lists them. */
export interface FetchedTransactions {
  booked: Transaction[];
  pending: Transaction[];
}

export interface ReconcileResult {
  upserted: number;
  /** Of upserted: rows new to us (the rest changed). */
  inserted: number;
  removed: number;
  lastBookedDate?: string;
}

export type TransactionValues = ReturnType<typeof rowValues>;

/** What reconcileTransactions writes, in this order: updates, inserts, deletes (the order keeps the unique keys free). */
export interface TransactionWrites {
  updates: { id: string; values: TransactionValues }[];
  inserts: TransactionRow[];
  deletes: string[];
  /** The account's lastBookedDate becomes at least this. */
  lastBookedDate?: string;
  result: ReconcileResult;
}

/**
 * Plans one account's fetched transactions against its stored rows so each real transaction is
 * one row: upsert on the bank's id or fingerprint; a booked transaction with a new id takes over
 * its pending predecessor's row (our id stays); pending rows the bank no longer lists (reversed
 * authorisations) are removed. Each backend reads `existing` and applies the plan in one
 * transaction that no other writer of the account interleaves with, so a retried sync reapplies
 * cleanly and two concurrent syncs store each transaction once.
 */
export function planTransactions(
  existing: TransactionRow[],
  accountId: string,
  fetched: { booked: Transaction[]; pending: Transaction[] },
  now: number,
): TransactionWrites {
  const byBankId = new Map(existing.filter((r) => r.bankTransactionId).map((r) => [r.bankTransactionId!, r]));
  const byFingerprint = new Map(existing.map((r) => [r.fingerprint, r]));
  const stillPendingIds = new Set(fetched.pending.map((t) => t.transactionId).filter(Boolean));
  const touched = new Set<string>();
  const insertedIds = new Set<string>();
  const writes: TransactionWrites = { updates: [], inserts: [], deletes: [], result: {} as ReconcileResult };
  let upserted = 0;
  let added = 0;

  const write = (t: Transaction, fp: string, row: TransactionRow | undefined) => {
    const values = rowValues(t, fp, now, row);
    if (row) {
      const changed =
        row.bookingStatus !== values.bookingStatus ||
        row.amount !== values.amount ||
        row.date !== values.date ||
        row.bankTransactionId !== values.bankTransactionId ||
        row.fingerprint !== fp;
      const updated = { ...row, ...values };
      // A row new in this plan is inserted with its latest values; a stored one is updated.
      if (insertedIds.has(row.id)) writes.inserts[writes.inserts.findIndex((r) => r.id === row.id)] = updated;
      // Most of a sync's window was stored by the sync before: no write where nothing changed.
      else if (!unchanged(row, values)) writes.updates.push({ id: row.id, values });
      byFingerprint.delete(row.fingerprint);
      byFingerprint.set(fp, updated);
      if (values.bankTransactionId) byBankId.set(values.bankTransactionId, updated);
      touched.add(row.id);
      if (changed) upserted++;
    } else {
      const id = `txn_${randomUUID()}`;
      const inserted = { id, accountId, firstSeenAt: now, ...values } as TransactionRow;
      writes.inserts.push(inserted);
      insertedIds.add(id);
      byFingerprint.set(fp, inserted);
      if (values.bankTransactionId) byBankId.set(values.bankTransactionId, inserted);
      touched.add(id);
      upserted++;
      added++;
    }
  };

  const bookedFps = fingerprints(fetched.booked);
  const pendingFps = fingerprints(fetched.pending);
  const stillPendingFps = new Set(pendingFps);
  fetched.booked.forEach((t, i) => {
    const fp = bookedFps[i];
    let row = (t.transactionId ? byBankId.get(t.transactionId) : undefined) ?? byFingerprint.get(fp);
    if (!row && t.transactionId) {
      const candidates = [...byFingerprint.values()].filter(
        (r) =>
          r.bookingStatus === 'pending' &&
          !touched.has(r.id) &&
          !(r.bankTransactionId && stillPendingIds.has(r.bankTransactionId)) &&
          // Still listed as pending (no id, same fingerprint): not the one that booked.
          !stillPendingFps.has(r.fingerprint),
      );
      row = pendingPredecessor(candidates, t);
    }
    write(t, fp, row);
  });

  fetched.pending.forEach((t, i) => {
    const fp = pendingFps[i];
    const row = (t.transactionId ? byBankId.get(t.transactionId) : undefined) ?? byFingerprint.get(fp);
    // A pending entry for something we already hold as booked is the bank lagging: keep booked.
    if (row && row.bookingStatus === 'booked' && touched.has(row.id)) return;
    write(t, fp, row);
  });

  for (const row of byFingerprint.values()) {
    if (row.bookingStatus === 'pending' && !touched.has(row.id)) writes.deletes.push(row.id);
  }

  const lastBooked = fetched.booked
    .map((t) => t.bookingDate ?? '')
    .filter(Boolean)
    .sort()
    .at(-1);
  if (lastBooked) writes.lastBookedDate = lastBooked;
  writes.result = { upserted, inserted: added, removed: writes.deletes.length, lastBookedDate: lastBooked };
  return writes;
}

/** The transaction table's columns the stored-row filter needs (the SQLite and PostgreSQL tables alike). */
interface TransactionKeyColumns {
  accountId: Column;
  bookingStatus: Column;
  bankTransactionId: Column;
  fingerprint: Column;
}

/** The keys a fetch can match stored rows on: the bank's ids and the fingerprints planTransactions stores. */
export function fetchedKeys(fetched: { booked: Transaction[]; pending: Transaction[] }) {
  return {
    bankIds: [...fetched.booked, ...fetched.pending].flatMap((t) => (t.transactionId ? [t.transactionId] : [])),
    fingerprints: [...fingerprints(fetched.booked), ...fingerprints(fetched.pending)],
  };
}

/**
 * Which stored rows planTransactions can touch for this fetch: every pending row (a booking may
 * take one over; a vanished one is removed) and the rows keyed on a fetched id or fingerprint.
 * Booked rows outside the fetch are never read: a sync reads what its window can change, not
 * the account's whole history. One condition per chunk of keys (bound-parameter limits); SQLite
 * binds the keys as one JSON array instead (repositories/sqlite/account-writes.ts).
 */
export function storedRowFilters(
  table: TransactionKeyColumns,
  accountId: string,
  fetched: { booked: Transaction[]; pending: Transaction[] },
): SQL[] {
  const keys = fetchedKeys(fetched);
  const idChunks = chunks(keys.bankIds, KEY_CHUNK);
  const fpChunks = chunks(keys.fingerprints, KEY_CHUNK);
  const ofAccount = (condition: SQL) => and(eq(table.accountId, accountId), condition)!;
  return Array.from({ length: Math.max(1, idChunks.length, fpChunks.length) }, (_, i) =>
    or(
      ...(i === 0 ? [ofAccount(eq(table.bookingStatus, 'pending'))] : []),
      ...(idChunks[i] ? [ofAccount(inArray(table.bankTransactionId, idChunks[i]))] : []),
      ...(fpChunks[i] ? [ofAccount(inArray(table.fingerprint, fpChunks[i]))] : []),
    )!,
  );
}

/** The rows the filters found, each once (a row can match more than one chunk). */
export function uniqueRows<R extends { id: string }>(rows: R[]): R[] {
  return [...new Map(rows.map((r) => [r.id, r])).values()];
}

const KEY_CHUNK = 2_000;

/** Rows per INSERT: SQLite allows 32,766 bound values per statement, PostgreSQL 65,535. */
export const INSERT_CHUNK = 500;

export function chunks<T>(rows: T[], size = INSERT_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
