import type { AccountRepository } from './accounts';
import type { ApiKeyRepository } from './api-keys';
import type { ConnectionRepository } from './connections';
import type { IdempotencyRepository } from './idempotency';
import type { PaymentRepository } from './payments';
import type { WebhookRepository } from './webhooks';

export type * from './accounts';
export type * from './api-keys';
export type * from './connections';
export type * from './idempotency';
export type * from './payments';
export type * from './webhooks';

/**
 * The read model the API works from: async interfaces, so that a PostgreSQL
 * backend can follow the SQLite one (repositories/sqlite) behind them.
 */
export interface Repositories {
  connections: ConnectionRepository;
  accounts: AccountRepository;
  apiKeys: ApiKeyRepository;
  idempotency: IdempotencyRepository;
  payments: PaymentRepository;
  webhooks: WebhookRepository;
  /** Resolves when the database answers a trivial query (readiness). */
  ping(): Promise<void>;
}
