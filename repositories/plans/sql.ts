import { and, eq, sql, type Column } from 'drizzle-orm';
import type { DeliveryUpdate } from '../webhooks';

/**
 * SQL both backends write alike, over the backend's own columns (db/schema.ts or db/pg/schema.ts):
 * drizzle renders it in the dialect of the query it joins.
 */

/**
 * ON CONFLICT DO UPDATE for an access counter that counts only below `limit`: one statement, so
 * processes counting the same consent at once never pass the limit together (the updated row is
 * locked, and the condition is checked against the latest count). No row returned: not counted.
 */
export function countBelow<T extends { consentId: Column; endpoint: Column; day: Column; count: Column }>(
  t: T,
  limit: number,
) {
  return {
    target: [t.consentId, t.endpoint, t.day] as T['consentId'][],
    set: { count: sql`${t.count} + 1` },
    setWhere: sql`${t.count} < ${limit}`,
  };
}

/** A subject's SCA sessions still waiting for their PSU. */
export function pendingSessionsOf(
  t: { subjectType: Column; subjectId: Column; outcome: Column },
  subjectType: string,
  subjectId: string,
) {
  return and(eq(t.subjectType, subjectType), eq(t.subjectId, subjectId), eq(t.outcome, 'pending'));
}

/** A delivery's new values: `countAttempt` adds one to `attempts` in SQL, so a late attempt is counted too. */
export function deliveryValues({ countAttempt, ...values }: DeliveryUpdate, at: number, attempts: Column) {
  return { ...values, ...(countAttempt ? { attempts: sql`${attempts} + 1` } : {}), updatedAt: at };
}

/**
 * ON CONFLICT DO UPDATE SET col = excluded.col: a multi-row upsert takes each row's own values
 * (SQLite and PostgreSQL alike), so one statement writes every row.
 */
export function fromExcluded<K extends string>(table: Record<K, Column>, fields: readonly K[]) {
  return Object.fromEntries(fields.map((f) => [f, sql.raw(`excluded."${table[f].name}"`)]));
}

/** The balance columns a newer fetch replaces. */
export const BALANCE_UPDATE_COLUMNS = [
  'amount',
  'currency',
  'referenceDate',
  'lastChangeDateTime',
  'creditLimitIncluded',
  'fetchedAt',
] as const;
