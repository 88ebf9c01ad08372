import type { BankDirectory } from '../banks/directory';
import type { Db } from '../db/client';
import type { Logger } from '../logging/logger';
import type { TokenCipher } from '../secrets/token-cipher';
import type { PaymentTiming } from '../workflows/payment/contract';

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
  /** The worker's payment timing (authorisation timeout, status polling); defaults in the payment contract. */
  paymentTiming?: Partial<PaymentTiming>;
}
