import { and, eq, sql } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { accessCounters } from '../../db/pg/schema';
import type { AccessCounterRepository } from '../access-counters';

export function pgAccessCounterRepository(db: PgDb): AccessCounterRepository {
  return {
    async counts(consentId, day) {
      const rows = await db
        .select()
        .from(accessCounters)
        .where(and(eq(accessCounters.consentId, consentId), eq(accessCounters.day, day)));
      return new Map(rows.map((r) => [r.endpoint, r.count]));
    },
    async count(consentId, endpoint, day, limit) {
      if (limit < 1) return false;
      // One statement: ON CONFLICT DO UPDATE locks the row, so concurrent counters queue on it and
      // each re-checks the limit against the committed count; no row returned means not counted.
      const counted = await db
        .insert(accessCounters)
        .values({ consentId, endpoint, day, count: 1 })
        .onConflictDoUpdate({
          target: [accessCounters.consentId, accessCounters.endpoint, accessCounters.day],
          set: { count: sql`${accessCounters.count} + 1` },
          setWhere: sql`${accessCounters.count} < ${limit}`,
        })
        .returning({ count: accessCounters.count });
      return counted.length > 0;
    },
  };
}
