import type { BankDirectory } from '../banks/directory';
import type { Db } from '../db/client';
import type { Logger } from '../logging/logger';
import type { TokenCipher } from '../secrets/token-cipher';
import type { WebhookSettings } from '../webhooks/settings';

/** What activities are built from; created once per worker process. */
export interface ActivityDeps {
  db: Db;
  logger: Logger;
  /** Absent in workers that only run the foundation's ping workflow. */
  banks?: BankDirectory;
  cipher?: TokenCipher;
  /** Our PSU callback (the API's GET /callback), given to the banks as redirect target. */
  callbackUrl?: string;
  /** Transactions are re-read from the last booked date minus this window. */
  syncOverlapMs?: number;
  /** Refresh a token this long before it expires. */
  tokenRefreshMarginMs?: number;
  now?: () => number;
  /** Webhook delivery (issue 11); defaults to webhookSettingsFromEnv(process.env). */
  webhooks?: WebhookSettings;
}
