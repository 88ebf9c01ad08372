import type { Db } from '../db/client';
import type { Logger } from '../logging/logger';

/** What activities are built from; created once per worker process. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
}
