import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { accessCounters } from '../../db/schema';
import type { AccessCounterRepository } from '../access-counters';

export function sqliteAccessCounterRepository(db: Db): AccessCounterRepository {
  return {
    async counts(consentId, day) {
      const rows = db
        .select()
        .from(accessCounters)
        .where(and(eq(accessCounters.consentId, consentId), eq(accessCounters.day, day)))
        .all();
      return new Map(rows.map((r) => [r.endpoint, r.count]));
    },
    async count(consentId, endpoint, day, limit) {
      if (limit < 1) return false;
      // One statement: the conditional upsert counts only below the limit (and says so by returning the row).
      const counted = db
        .insert(accessCounters)
        .values({ consentId, endpoint, day, count: 1 })
        .onConflictDoUpdate({
          target: [accessCounters.consentId, accessCounters.endpoint, accessCounters.day],
          set: { count: sql`${accessCounters.count} + 1` },
          setWhere: sql`${accessCounters.count} < ${limit}`,
        })
        .returning({ count: accessCounters.count })
        .all();
      return counted.length > 0;
    },
  };
}
