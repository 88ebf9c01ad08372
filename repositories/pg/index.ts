import { sql } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import type { Repositories } from '../index';
import { pgAccountRepository } from './accounts';
import { pgApiKeyRepository } from './api-keys';
import { pgConnectionRepository } from './connections';
import { pgIdempotencyRepository } from './idempotency';
import { pgWebhookRepository } from './webhooks';

/** The repositories over one PostgreSQL database (drizzle, node-postgres pool): the same behaviour as repositories/sqlite. */
export function pgRepositories(db: PgDb): Repositories {
  return {
    connections: pgConnectionRepository(db),
    accounts: pgAccountRepository(db),
    apiKeys: pgApiKeyRepository(db),
    idempotency: pgIdempotencyRepository(db),
    webhooks: pgWebhookRepository(db),
    async ping() {
      await db.execute(sql`select 1 as ok`);
    },
  };
}
