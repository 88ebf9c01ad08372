import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { accessCounters } from '../../db/schema';
import type { AccessCounterRepository } from '../access-counters';
import { countBelow } from '../plans/sql';

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
      // One statement (plans/sql.ts): counted only below the limit, however many count at once.
      const counted = db
        .insert(accessCounters)
        .values({ consentId, endpoint, day, count: 1 })
        .onConflictDoUpdate(countBelow(accessCounters, limit))
        .returning({ count: accessCounters.count })
        .all();
      return counted.length > 0;
    },
  };
}
