import type { BankDirectory } from '../banks/directory';
import type { Logger } from '../logging/logger';
import type { Repositories } from '../repositories';
import type { TokenCipher } from '../secrets/token-cipher';
import type { WebhookSettings } from '../webhooks/settings';
import type { ConnectionTiming } from '../workflows/connection/contract';
import type { PaymentTiming } from '../workflows/payment/contract';

/** What the ping activity needs: the foundation's smallest end-to-end proof. */
export interface PingActivityDeps {
  /** Every read and write of the activities (SQLite or PostgreSQL: composition/root.ts picks). */
  repositories: Repositories;
  logger: Logger;
}

/** What activities are built from; created once per worker process (composition/root.ts). */
export interface ActivityDeps extends PingActivityDeps {
  banks: BankDirectory;
  cipher: TokenCipher;
  /** Our PSU callback (the API's GET /callback), given to the banks as redirect target. */
  callbackUrl: string;
  /** Transactions are re-read from the last booked date minus this window. */
  syncOverlapMs?: number;
  /**
   * The connection timing this worker gives its workflows (the connectionTiming activity, read at
   * every run's start). Built with timingFromEnv (config/timing.ts) by the composition root.
   */
  timing: ConnectionTiming;
  /** Refresh a token this long before it expires. Default: timing.tokenRefreshMarginMs. */
  tokenRefreshMarginMs?: number;
  now?: () => number;
  /** The worker's payment timing (authorisation timeout, status polling); defaults in the payment contract. */
  paymentTiming?: Partial<PaymentTiming>;
  /** Webhook delivery (issue 11): webhookSettingsFromEnv by the composition root; default production's. */
  webhooks?: WebhookSettings;
}

const REQUIRED: Record<
  keyof Omit<ActivityDeps, 'syncOverlapMs' | 'tokenRefreshMarginMs' | 'now' | 'paymentTiming' | 'webhooks'>,
  string
> = {
  repositories: 'repositories (the database)',
  logger: 'logger',
  banks: 'banks (BANK_PROFILES_FILE and the TPP certificates)',
  cipher: 'cipher (TOKEN_ENCRYPTION_KEYS)',
  callbackUrl: 'callbackUrl (PUBLIC_BASE_URL or API_HOST/API_PORT)',
  timing: 'timing (AUTHORISATION_TIMEOUT, SYNC_JITTER, …)',
};

/** What is missing from deps a worker would be started with; empty when complete. */
export function missingActivityDeps(deps: Partial<ActivityDeps>): string[] {
  return Object.entries(REQUIRED)
    .filter(([key]) => !deps[key as keyof ActivityDeps])
    .map(([, what]) => what);
}

/** A worker refuses to start on incomplete deps, naming what is missing. */
export function requireActivityDeps(deps: Partial<ActivityDeps>): ActivityDeps {
  const missing = missingActivityDeps(deps);
  if (missing.length) throw new Error(`the worker cannot start: missing ${missing.join(', ')}`);
  return deps as ActivityDeps;
}
