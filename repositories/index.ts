import type { AccessCounterRepository } from './access-counters';
import type { AccountRepository } from './accounts';
import type { ApiKeyRepository } from './api-keys';
import type { ConnectionRepository } from './connections';
import type { ConsentRepository } from './consents';
import type { IdempotencyRepository } from './idempotency';
import type { PaymentRepository } from './payments';
import type { PingRepository } from './pings';
import type { ScaSessionRepository } from './sca-sessions';
import type { TokenRepository } from './tokens';
import type { WebhookRepository } from './webhooks';

export type * from './access-counters';
export type * from './accounts';
export type * from './api-keys';
export type * from './connections';
export type * from './consents';
export type * from './idempotency';
export type * from './payments';
export type * from './pings';
export type * from './rows';
export type * from './sca-sessions';
export type * from './tokens';
export type * from './webhooks';

/**
 * Everything the service stores, behind async interfaces: the API's reads and writes, the
 * services', the activities', the dispatcher's. Two implementations with the same behaviour:
 * repositories/sqlite (better-sqlite3, synchronous inside) and repositories/pg (node-postgres
 * pool); composition/root.ts picks one from DATABASE_URL. Nothing else imports a database driver.
 */
export interface Repositories {
  connections: ConnectionRepository;
  consents: ConsentRepository;
  scaSessions: ScaSessionRepository;
  tokens: TokenRepository;
  accessCounters: AccessCounterRepository;
  accounts: AccountRepository;
  apiKeys: ApiKeyRepository;
  idempotency: IdempotencyRepository;
  payments: PaymentRepository;
  webhooks: WebhookRepository;
  pings: PingRepository;
  /** Resolves when the database answers a trivial query (readiness). */
  ping(): Promise<void>;
}
