import { Xs2aError } from '../errors';
import type { BankProfile } from '../profiles/types';
import { msUntilNextUtcDay, utcDay } from './utc-day';

export interface RateBudgetOptions {
  /** Sustained rate; also the default burst size (the bucket holds one second of tokens). */
  perSecond: number;
  /**
   * Bucket size. Smaller than the bank's (perSecond) leaves its bucket headroom for
   * arrival jitter: requests granted 200 ms apart can arrive closer together when the
   * first ones waited for a TLS handshake.
   */
  burst?: number;
  /** Requests per UTC day; beyond it acquire() fails instead of waiting. */
  perDay: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RateBudgetSnapshot {
  perSecond: number;
  perDay: number;
  /** Tokens available right now (fractional while refilling). */
  tokens: number;
  /** Callers queued in acquire(). */
  waiting: number;
  /** Requests granted (or reserved by a waiter) today. */
  usedToday: number;
  /** Epoch ms of the next UTC midnight, when usedToday starts again from 0. */
  resetsAt: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  /** Detaches the abort listener once the waiter leaves the queue. */
  cleanup: () => void;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A bank's request budget, enforced on our side so that the bank never has to
 * answer 429: a token bucket (smooth `perSecond`, bursts of one second) plus a
 * daily counter. Waiters are served strictly first in, first out by one pump
 * that sleeps exactly until the next token is due, so there is no polling.
 */
export class RateBudget {
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly perDay: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private tokens: number;
  private refilledAt: number;
  private day: number;
  private usedToday = 0;
  private readonly queue: Waiter[] = [];
  private pumping = false;

  constructor(opts: RateBudgetOptions) {
    if (!(opts.perSecond > 0)) throw new RangeError(`RateBudget perSecond must be > 0, got ${opts.perSecond}`);
    if (!(opts.perDay > 0)) throw new RangeError(`RateBudget perDay must be > 0, got ${opts.perDay}`);
    this.perSecond = opts.perSecond;
    this.burst = Math.max(1, opts.burst ?? opts.perSecond);
    this.perDay = opts.perDay;
    this.now = opts.now ?? Date.now;
    this.sleep = opts.sleep ?? defaultSleep;
    this.tokens = this.burst;
    this.refilledAt = this.now();
    this.day = utcDay(this.refilledAt);
  }

  /**
   * Resolves when the request may be sent. Waits for the per-second budget;
   * fails at once (Xs2aError 'rate_limited', retryAfterMs until the next UTC
   * day) when the daily budget is used up, and with the signal's reason when aborted.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    // The daily slot is reserved on entry so that queued callers cannot overshoot perDay together.
    try {
      this.reserveDailySlot();
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.queue.length === 0 && this.takeToken()) return Promise.resolve();

    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        this.usedToday = Math.max(0, this.usedToday - 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      void this.pump();
    });
  }

  /** Takes a token only if one is free now and nobody is queued ahead; never waits. */
  tryAcquire(): boolean {
    this.rollDay();
    if (this.usedToday >= this.perDay || this.queue.length > 0) return false;
    if (!this.takeToken()) return false;
    this.usedToday += 1;
    return true;
  }

  snapshot(): RateBudgetSnapshot {
    this.refill();
    this.rollDay();
    return {
      perSecond: this.perSecond,
      perDay: this.perDay,
      tokens: this.tokens,
      waiting: this.queue.length,
      usedToday: this.usedToday,
      resetsAt: this.now() + msUntilNextUtcDay(this.now()),
    };
  }

  private reserveDailySlot(): void {
    this.rollDay();
    if (this.usedToday >= this.perDay) {
      const retryAfterMs = msUntilNextUtcDay(this.now());
      throw new Xs2aError(`Daily request budget of ${this.perDay} used up; resets at the next UTC day`, {
        kind: 'rate_limited',
        retryAfterMs,
      });
    }
    this.usedToday += 1;
  }

  private rollDay(): void {
    const today = utcDay(this.now());
    if (today !== this.day) {
      this.day = today;
      this.usedToday = 0;
    }
  }

  private refill(): void {
    const now = this.now();
    const elapsed = Math.max(0, now - this.refilledAt);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
    this.refilledAt = now;
  }

  private takeToken(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** The single loop that hands out tokens to queued callers in order. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        if (this.takeToken()) {
          const waiter = this.queue.shift()!;
          waiter.cleanup();
          waiter.resolve();
          continue;
        }
        const msToNextToken = Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
        await this.sleep(Math.max(1, msToNextToken));
      }
    } finally {
      this.pumping = false;
    }
  }
}

export type RateLimitedProfile = Pick<BankProfile, 'id' | 'rateLimit'>;

const registry = new Map<string, RateBudget>();

/**
 * The process-wide budget of one bank profile: every transport and activity
 * calling that bank in this process shares it. A profile without `rateLimit`
 * gets a budget that never waits (we know of no limit to respect).
 */
export function budgetFor(profile: RateLimitedProfile): RateBudget {
  let budget = registry.get(profile.id);
  if (!budget) {
    const limit = profile.rateLimit ?? { perSecond: Number.MAX_SAFE_INTEGER, perDay: Number.MAX_SAFE_INTEGER };
    // One token less than the bank's bucket: headroom for arrival jitter, same sustained rate.
    budget = new RateBudget({ ...limit, burst: limit.perSecond - 1 });
    registry.set(profile.id, budget);
  }
  return budget;
}

/** Forgets all process-wide budgets (tests, or after reloading profiles). */
export function resetBudgets(): void {
  registry.clear();
}
