import { setTimeout as delay } from 'node:timers/promises';
import type { BankRequestSlotRepository } from '../repositories/bank-request-slots';
import { Xs2aError } from '../xs2a/errors';
import type { RequestLimiter } from '../xs2a/limits/request-limiter';
import type { BankProfile } from '../xs2a/profiles/types';

export interface FleetLimiterOptions {
  /**
   * A request whose slot is further ahead is refused (retryable, with Retry-After) instead of
   * waiting: the activity backs off in Temporal rather than sit on a long queue. Default 10 s,
   * the transport's own limit for waiting out a bank's 429.
   */
  maxWaitMs?: number;
}

/** Microseconds between two requests at `perSecond`, rounded up so the rate is never above it. */
export const slotIntervalUs = (perSecond: number) => Math.ceil(1_000_000 / perSecond);

/**
 * The bank's request limit for the whole fleet: each request reserves its slot in the shared
 * database (repositories/bank-request-slots.ts) and waits for it. Undefined for a profile without
 * a `rateLimit` (no limit known, nothing to share). The in-process RateBudget stays in front of it.
 */
export function fleetRequestLimiter(
  slots: BankRequestSlotRepository,
  profile: Pick<BankProfile, 'id' | 'rateLimit'>,
  options: FleetLimiterOptions = {},
): RequestLimiter | undefined {
  const limit = profile.rateLimit;
  if (!limit) return undefined;
  const request = {
    bankId: profile.id,
    intervalUs: slotIntervalUs(limit.perSecond),
    maxWaitUs: (options.maxWaitMs ?? 10_000) * 1000,
    perDay: limit.perDay,
  };
  return {
    async acquire(signal) {
      if (signal?.aborted) throw signal.reason;
      const slot = await slots.reserve(request);
      if (!slot.admitted) {
        throw new Xs2aError(
          slot.reason === 'day'
            ? `${profile.id}: the fleet's daily request budget of ${limit.perDay} is used up; refused locally`
            : `${profile.id}: the fleet's request queue is over ${request.maxWaitUs / 1_000_000} s long; refused locally`,
          { kind: 'rate_limited', retryAfterMs: slot.retryAfterMs, aspsp: profile.id },
        );
      }
      if (slot.waitMs <= 0) return;
      // An abandoned slot stays spent: the bank sees one request fewer in that second, never one more.
      try {
        await delay(slot.waitMs, undefined, signal ? { signal } : undefined);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        throw err;
      }
    },
  };
}
