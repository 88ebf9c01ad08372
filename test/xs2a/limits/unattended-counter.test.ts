import { describe, expect, it } from 'vitest';
import { UnattendedAccessCounter } from '../../../xs2a/limits/unattended-counter';

describe('UnattendedAccessCounter', () => {
  it('allows frequencyPerDay reads per consent and endpoint, then refuses without counting', () => {
    let now = Date.UTC(2026, 2, 1, 8, 0, 0);
    const counter = new UnattendedAccessCounter(() => now);
    for (let i = 1; i <= 4; i++) {
      expect(counter.tryCount('consent-1', 'accounts/acc-1/transactions', 4)).toEqual({
        allowed: true,
        used: i,
        resetsAt: Date.UTC(2026, 2, 2),
      });
    }
    expect(counter.tryCount('consent-1', 'accounts/acc-1/transactions', 4)).toEqual({
      allowed: false,
      used: 4,
      resetsAt: Date.UTC(2026, 2, 2),
    });
    expect(counter.used('consent-1', 'accounts/acc-1/transactions')).toBe(4);

    // Another endpoint of the same consent, and the same endpoint of another consent, have their own allowance.
    expect(counter.tryCount('consent-1', 'accounts/acc-1/balances', 4).allowed).toBe(true);
    expect(counter.tryCount('consent-2', 'accounts/acc-1/transactions', 4).allowed).toBe(true);
    expect(counter.used('consent-1', 'accounts/acc-1/balances')).toBe(1);

    now = Date.UTC(2026, 2, 1, 23, 59, 59, 999);
    expect(counter.tryCount('consent-1', 'accounts/acc-1/transactions', 4).allowed).toBe(false);

    // Midnight UTC, not midnight local time.
    now = Date.UTC(2026, 2, 2, 0, 0, 0);
    expect(counter.used('consent-1', 'accounts/acc-1/transactions')).toBe(0);
    expect(counter.tryCount('consent-1', 'accounts/acc-1/transactions', 4)).toEqual({
      allowed: true,
      used: 1,
      resetsAt: Date.UTC(2026, 2, 3),
    });
  });

  it('a frequencyPerDay of 0 refuses every unattended read', () => {
    const counter = new UnattendedAccessCounter(() => Date.UTC(2026, 0, 1));
    expect(counter.tryCount('c', 'accounts', 0)).toMatchObject({ allowed: false, used: 0 });
  });
});
