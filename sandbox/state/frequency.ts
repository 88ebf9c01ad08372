import type { FrequencySnapshot } from './snapshot';
import type { AccessCheck } from './types';

const KEY_SEPARATOR = '\u0000';

/**
 * Counts unattended reads per consent, endpoint and UTC day (BG frequencyPerDay). Only the current
 * day's counters are kept: they reset when the clock's date changes, so memory stays bounded.
 */
export class AccessCounter {
  private day = '';
  private readonly counts = new Map<string, number>();

  check(
    now: Date,
    consentId: string,
    endpoint: string,
    limit: number,
    psuPresent: boolean,
    enforce: boolean,
  ): AccessCheck {
    const today = now.toISOString().slice(0, 10);
    if (today !== this.day) {
      this.day = today;
      this.counts.clear();
    }
    const key = `${consentId}${KEY_SEPARATOR}${endpoint}`;
    const used = this.counts.get(key) ?? 0;
    // A PSU-present request (PSU-IP-Address given) is not limited and does not count.
    if (psuPresent) return { allowed: true, used };
    if (enforce && used >= limit) return { allowed: false, used };
    this.counts.set(key, used + 1);
    return { allowed: true, used: used + 1 };
  }

  snapshot(): FrequencySnapshot {
    const counts = [...this.counts].map(([key, used]) => {
      const at = key.indexOf(KEY_SEPARATOR);
      return { consentId: key.slice(0, at), endpoint: key.slice(at + 1), used };
    });
    return { day: this.day, counts };
  }

  /** The counters only count on their own day: restored on a later day, they reset at the next check as usual. */
  restore(snapshot: FrequencySnapshot): void {
    this.day = snapshot.day;
    this.counts.clear();
    for (const { consentId, endpoint, used } of snapshot.counts)
      this.counts.set(`${consentId}${KEY_SEPARATOR}${endpoint}`, used);
  }
}
