import type { Env } from './env';
import type { ConnectionTiming } from '../workflows/connection/contract';

/** Cycles of one workflow run before continue-as-new. */
export const DEFAULT_MAX_CYCLES_PER_RUN = 200;

/** The worker's connection timing from its environment; running workflows read it at each run's start. */
export function timingFromEnv(env: Env, overrides: Partial<ConnectionTiming> = {}): ConnectionTiming {
  return {
    authorisationTimeoutMs: env.AUTHORISATION_TIMEOUT,
    expiringSoonWarningMs: env.EXPIRING_SOON_WARNING,
    tokenRefreshMarginMs: env.TOKEN_REFRESH_MARGIN,
    syncJitterMs: env.SYNC_JITTER,
    maxCyclesPerRun: DEFAULT_MAX_CYCLES_PER_RUN,
    ...overrides,
  };
}
