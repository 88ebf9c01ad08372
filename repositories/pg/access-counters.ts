import { and, eq } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { accessCounters } from '../../db/pg/schema';
import type { AccessCounterRepository } from '../access-counters';
import { countBelow } from '../plans/sql';

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
      // One statement (plans/sql.ts): counted only below the limit, however many count at once.
      const counted = await db
        .insert(accessCounters)
        .values({ consentId, endpoint, day, count: 1 })
        .onConflictDoUpdate(countBelow(accessCounters, limit))
        .returning({ count: accessCounters.count });
      return counted.length > 0;
    },
  };
}
