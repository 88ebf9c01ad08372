import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { Repositories } from '../index';
import { sqliteAccessCounterRepository } from './access-counters';
import { sqliteAccountWrites } from './account-writes';
import { sqliteAccountRepository } from './accounts';
import { sqliteApiKeyRepository } from './api-keys';
import { sqliteConnectionWrites } from './connection-writes';
import { sqliteConnectionRepository } from './connections';
import { sqliteConsentRepository } from './consents';
import { sqliteIdempotencyRepository } from './idempotency';
import { sqlitePaymentWrites } from './payment-writes';
import { sqlitePaymentRepository } from './payments';
import { sqlitePingRepository } from './pings';
import { sqliteScaSessionRepository } from './sca-sessions';
import { sqliteTokenRepository } from './tokens';
import { sqliteWebhookWrites } from './webhook-writes';
import { sqliteWebhookRepository } from './webhooks';

/**
 * The repositories over one SQLite database (drizzle, better-sqlite3). better-sqlite3 is
 * synchronous: each method does its work (a whole transaction where it writes several rows)
 * before its promise settles.
 */
export function sqliteRepositories(db: Db): Repositories {
  return {
    connections: { ...sqliteConnectionRepository(db), ...sqliteConnectionWrites(db) },
    consents: sqliteConsentRepository(db),
    scaSessions: sqliteScaSessionRepository(db),
    tokens: sqliteTokenRepository(db),
    accessCounters: sqliteAccessCounterRepository(db),
    accounts: { ...sqliteAccountRepository(db), ...sqliteAccountWrites(db) },
    apiKeys: sqliteApiKeyRepository(db),
    idempotency: sqliteIdempotencyRepository(db),
    payments: { ...sqlitePaymentRepository(db), ...sqlitePaymentWrites(db) },
    webhooks: { ...sqliteWebhookRepository(db), ...sqliteWebhookWrites(db) },
    pings: sqlitePingRepository(db),
    async ping() {
      db.get(sql`select 1 as ok`);
    },
  };
}
