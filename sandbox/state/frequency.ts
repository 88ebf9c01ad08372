import type { AccessCheck } from './types';

/**
 * Counts unattended reads per consent, endpoint and UTC day (BG frequencyPerDay). Only the current
 * day's counters are kept: they reset when the clock's date changes, so memory stays bounded.
 */
export class AccessCounter {
  private day = '';
  private readonly counts = new Map<string, number>();

  check(now: Date, consentId: string, endpoint: string, limit: number, psuPresent: boolean, enforce: boolean): AccessCheck {
    const today = now.toISOString().slice(0, 10);
    if (today !== this.day) {
      this.day = today;
      this.counts.clear();
    }
    const key = `${consentId}\u0000${endpoint}`;
    const used = this.counts.get(key) ?? 0;
    // A PSU-present request (PSU-IP-Address given) is not limited and does not count.
    if (psuPresent) return { allowed: true, used };
    if (enforce && used >= limit) return { allowed: false, used };
    this.counts.set(key, used + 1);
    return { allowed: true, used: used + 1 };
  }
}
