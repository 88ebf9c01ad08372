import type { PgDb } from '../../db/pg/client';
import { pings } from '../../db/pg/schema';
import type { PingRepository } from '../pings';

export function pgPingRepository(db: PgDb): PingRepository {
  return {
    async record(ping) {
      await db.insert(pings).values(ping).onConflictDoNothing();
    },
  };
}
