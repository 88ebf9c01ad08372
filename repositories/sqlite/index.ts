import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { Repositories } from '../index';
import { sqliteAccountRepository } from './accounts';
import { sqliteApiKeyRepository } from './api-keys';
import { sqliteConnectionRepository } from './connections';
import { sqliteIdempotencyRepository } from './idempotency';
import { sqlitePaymentRepository } from './payments';
import { sqliteWebhookRepository } from './webhooks';

export { sqliteApiKeys } from './api-keys';

/** The repositories over one SQLite database (drizzle, better-sqlite3). */
export function sqliteRepositories(db: Db): Repositories {
  return {
    connections: sqliteConnectionRepository(db),
    accounts: sqliteAccountRepository(db),
    apiKeys: sqliteApiKeyRepository(db),
    idempotency: sqliteIdempotencyRepository(db),
    payments: sqlitePaymentRepository(db),
    webhooks: sqliteWebhookRepository(db),
    async ping() {
      db.get(sql`select 1 as ok`);
    },
  };
}
