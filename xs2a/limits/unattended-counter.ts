import { nextUtcMidnight, utcDay } from './utc-day';

export interface UnattendedCountResult {
  allowed: boolean;
  /** Reads counted today for this consent and endpoint, including this one when allowed. */
  used: number;
  /** Epoch ms of the next UTC midnight, when the count starts again. */
  resetsAt: number;
}

interface DayCount {
  day: number;
  used: number;
}

/**
 * PSD2 frequencyPerDay: reads without the PSU present (no PSU-IP-Address) are
 * limited per consent, per account endpoint, per UTC day. This in-memory count
 * keeps one process from overrunning the limit between workflow decisions; the
 * durable per-consent limit lives in the workflow layer. Reads with
 * PSU-IP-Address are not counted (the transport never calls this for them).
 */
export class UnattendedAccessCounter {
  private readonly counts = new Map<string, DayCount>();
  private prunedDay: number;

  constructor(private readonly now: () => number = Date.now) {
    this.prunedDay = utcDay(this.now());
  }

  /** Counts one read if the day's allowance is not used up; refuses (without counting) otherwise. */
  tryCount(consentId: string, endpoint: string, frequencyPerDay: number): UnattendedCountResult {
    const now = this.now();
    const today = utcDay(now);
    this.pruneOlderDays(today);
    const key = counterKey(consentId, endpoint);
    let entry = this.counts.get(key);
    if (!entry || entry.day !== today) {
      entry = { day: today, used: 0 };
      this.counts.set(key, entry);
    }
    const resetsAt = nextUtcMidnight(now);
    if (entry.used >= frequencyPerDay) return { allowed: false, used: entry.used, resetsAt };
    entry.used += 1;
    return { allowed: true, used: entry.used, resetsAt };
  }

  /** Reads counted today for this consent and endpoint. */
  used(consentId: string, endpoint: string): number {
    const entry = this.counts.get(counterKey(consentId, endpoint));
    return entry && entry.day === utcDay(this.now()) ? entry.used : 0;
  }

  /** Yesterday's counts can never matter again; dropping them keeps memory flat in a long-lived worker. */
  private pruneOlderDays(today: number): void {
    if (today === this.prunedDay) return;
    for (const [key, entry] of this.counts) if (entry.day < today) this.counts.delete(key);
    this.prunedDay = today;
  }
}

const counterKey = (consentId: string, endpoint: string) => `${consentId}\u0000${endpoint}`;

let shared: UnattendedAccessCounter | undefined;

/** The process-wide counter transports use when none is given. */
export function sharedUnattendedCounter(): UnattendedAccessCounter {
  shared ??= new UnattendedAccessCounter();
  return shared;
}
