import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { accounts, balanceHistory, balances } from '../../db/schema';
import type { Account, Balance } from '../../xs2a/operations/types';

type AccountRow = typeof accounts.$inferSelect;

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

/** Upserts the listed accounts; the ones no longer listed become 'gone'. Returns resourceId → our id. */
export function upsertAccounts(db: Db, connectionId: string, fetched: Account[], now: number): Map<string, AccountRow> {
  return db.transaction((tx) => {
    const rows = tx.select().from(accounts).where(eq(accounts.connectionId, connectionId)).all();
    const claimed = new Set<string>();
    const result = new Map<string, AccountRow>();
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
        tx.update(accounts).set(values).where(eq(accounts.id, existing.id)).run();
        row = { ...existing, ...values };
      } else {
        row = { id: `acc_${randomUUID()}`, connectionId, lastBookedDate: null, createdAt: now, ...values };
        tx.insert(accounts).values(row).run();
      }
      claimed.add(row.id);
      result.set(a.resourceId, row);
    }
    for (const r of rows) {
      if (!claimed.has(r.id) && r.status !== 'gone')
        tx.update(accounts).set({ status: 'gone', updatedAt: now }).where(eq(accounts.id, r.id)).run();
    }
    return result;
  });
}

/** Latest balance per type, plus a history row whenever the amount or reference date changed. */
export function storeBalances(db: Db, accountId: string, fetched: Balance[], now: number): void {
  db.transaction((tx) => {
    const latest = new Map(
      tx
        .select()
        .from(balances)
        .where(eq(balances.accountId, accountId))
        .all()
        .map((b) => [b.balanceType, b]),
    );
    for (const b of fetched) {
      const previous = latest.get(b.balanceType);
      const values = {
        accountId,
        balanceType: b.balanceType,
        amount: b.balanceAmount.amount,
        currency: b.balanceAmount.currency,
        referenceDate: b.referenceDate ?? null,
        lastChangeDateTime: b.lastChangeDateTime ?? null,
        creditLimitIncluded: b.creditLimitIncluded ?? null,
        fetchedAt: now,
      };
      tx.insert(balances)
        .values(values)
        .onConflictDoUpdate({ target: [balances.accountId, balances.balanceType], set: values })
        .run();
      if (!previous || previous.amount !== values.amount || previous.referenceDate !== values.referenceDate) {
        tx.insert(balanceHistory)
          .values({
            accountId,
            balanceType: b.balanceType,
            amount: values.amount,
            currency: values.currency,
            referenceDate: values.referenceDate,
            fetchedAt: now,
          })
          .run();
      }
    }
  });
}
