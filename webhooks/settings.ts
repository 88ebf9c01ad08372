import type { Env } from '../config/env';
import type { WebhookUrlMode } from './url-policy';

/** How webhooks are delivered; owned by the worker (its environment), read by the delivery workflow at start. */
export interface WebhookSettings {
  mode: WebhookUrlMode;
  /** Waits before the 2nd, 3rd, … attempt; the first attempt is immediate. Its length + 1 is the attempt count. */
  retryScheduleMs: number[];
  /** Each wait is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  /** One attempt's whole HTTP exchange. */
  requestTimeoutMs: number;
  /** A worker silent this long during an attempt is presumed dead; the attempt is retried elsewhere. */
  heartbeatTimeoutMs: number;
  /** After a rotation the previous secret keeps signing this long. */
  rotationGraceMs: number;
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;

/** Immediately, then about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h: eight attempts over about 28 hours. */
export const DEFAULT_RETRY_SCHEDULE_MS = [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H];

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  mode: 'production',
  retryScheduleMs: DEFAULT_RETRY_SCHEDULE_MS,
  jitter: 0.1,
  requestTimeoutMs: 15 * S,
  heartbeatTimeoutMs: 5 * S,
  rotationGraceMs: 24 * H,
};

/** production in production; development (http to localhost allowed) otherwise. */
export function webhookSettingsFromEnv(env: Pick<Env, 'NODE_ENV'>): WebhookSettings {
  return { ...DEFAULT_WEBHOOK_SETTINGS, mode: env.NODE_ENV === 'production' ? 'production' : 'development' };
}
