import { sql } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import type { Repositories } from '../index';
import { pgAccessCounterRepository } from './access-counters';
import { pgAccountWrites } from './account-writes';
import { pgAccountRepository } from './accounts';
import { pgApiKeyRepository } from './api-keys';
import { pgConnectionWrites } from './connection-writes';
import { pgConnectionRepository } from './connections';
import { pgConsentRepository } from './consents';
import { pgIdempotencyRepository } from './idempotency';
import { pgPaymentWrites } from './payment-writes';
import { pgPaymentRepository } from './payments';
import { pgPingRepository } from './pings';
import { pgScaSessionRepository } from './sca-sessions';
import { pgTokenRepository } from './tokens';
import { pgWebhookWrites } from './webhook-writes';
import { pgWebhookRepository } from './webhooks';

/** The repositories over one PostgreSQL database (drizzle, node-postgres pool): the same behaviour as repositories/sqlite. */
export function pgRepositories(db: PgDb): Repositories {
  return {
    connections: { ...pgConnectionRepository(db), ...pgConnectionWrites(db) },
    consents: pgConsentRepository(db),
    scaSessions: pgScaSessionRepository(db),
    tokens: pgTokenRepository(db),
    accessCounters: pgAccessCounterRepository(db),
    accounts: { ...pgAccountRepository(db), ...pgAccountWrites(db) },
    apiKeys: pgApiKeyRepository(db),
    idempotency: pgIdempotencyRepository(db),
    payments: { ...pgPaymentRepository(db), ...pgPaymentWrites(db) },
    webhooks: { ...pgWebhookRepository(db), ...pgWebhookWrites(db) },
    pings: pgPingRepository(db),
    async ping() {
      await db.execute(sql`select 1 as ok`);
    },
  };
}
