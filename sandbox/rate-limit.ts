/** Per-bank request budget: a token bucket for bursts and a counter per clock day. */
export interface SandboxLimits {
  /** Requests per second (bucket size and refill rate); null = unlimited. */
  perSecond: number | null;
  /** Requests per sandbox-clock day (UTC); null = unlimited. */
  perDay: number | null;
}

export const NO_LIMITS: SandboxLimits = { perSecond: null, perDay: null };

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number; reason: string };

export class RateLimiter {
  private limits: SandboxLimits = NO_LIMITS;
  private tokens = 0;
  private refilledAt = 0;
  private day = '';
  private usedToday = 0;

  /** `realNow` drives the bucket (bursts are real time); `clockNow` the daily counter (bank days follow the sandbox clock). */
  constructor(
    private readonly clockNow: () => Date,
    private readonly realNow: () => number = () => performance.now(),
  ) {}

  get current(): SandboxLimits {
    return { ...this.limits };
  }

  set(patch: Partial<SandboxLimits>): void {
    for (const key of ['perSecond', 'perDay'] as const) {
      const v = patch[key];
      if (v !== undefined && v !== null && (typeof v !== 'number' || !(v > 0)))
        throw new Error(`${key} must be a positive number or null`);
    }
    this.limits = { ...this.limits, ...patch };
    this.tokens = this.limits.perSecond ?? 0;
    this.refilledAt = this.realNow();
  }

  take(): RateDecision {
    const { perSecond, perDay } = this.limits;
    const now = this.clockNow();
    const today = now.toISOString().slice(0, 10);
    if (today !== this.day) {
      this.day = today;
      this.usedToday = 0;
    }
    if (perDay !== null && this.usedToday >= perDay) {
      const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((midnight - now.getTime()) / 1000)),
        reason: `daily limit of ${perDay} requests used up`,
      };
    }
    if (perSecond !== null) {
      const t = this.realNow();
      this.tokens = Math.min(perSecond, this.tokens + ((t - this.refilledAt) / 1000) * perSecond);
      this.refilledAt = t;
      if (this.tokens < 1) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / perSecond)),
          reason: `more than ${perSecond} requests per second`,
        };
      }
      this.tokens -= 1;
    }
    this.usedToday += 1;
    return { allowed: true };
  }
}
