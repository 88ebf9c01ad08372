import type { Db } from '../../db/client';
import { pings } from '../../db/schema';
import type { PingRepository } from '../pings';

export function sqlitePingRepository(db: Db): PingRepository {
  return {
    async record(ping) {
      db.insert(pings).values(ping).onConflictDoNothing().run();
    },
  };
}
