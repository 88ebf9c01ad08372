import { describe, expect, it } from 'vitest';
import { Xs2aError } from '../../../xs2a/errors';
import { RateBudget, budgetFor, resetBudgets } from '../../../xs2a/limits/rate-budget';

/** A clock that only moves when the budget sleeps: timings become exact and instant. */
function virtualClock(start = Date.UTC(2026, 0, 10, 12, 0, 0)) {
  const clock = { t: start, sleeps: [] as number[] };
  return {
    clock,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      // Let the callers of earlier grants run at the time they were granted.
      await new Promise((resolve) => setImmediate(resolve));
      clock.t += ms;
    },
  };
}

describe('RateBudget', () => {
  it('perSecond 5: 10 acquisitions take about 1 s of real time, not 2 s', async () => {
    const budget = new RateBudget({ perSecond: 5, perDay: 1000 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => budget.acquire()));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(1500);
  });

  it('bursts one second of tokens, then spaces grants 1/perSecond apart, sleeping only when needed', async () => {
    const { clock, now, sleep } = virtualClock();
    const budget = new RateBudget({ perSecond: 5, perDay: 1000, now, sleep });
    const t0 = clock.t;
    const grantedAt: number[] = [];
    await Promise.all(Array.from({ length: 10 }, () => budget.acquire().then(() => grantedAt.push(clock.t - t0))));
    expect(grantedAt).toEqual([0, 0, 0, 0, 0, 200, 400, 600, 800, 1000]);
    // One sleep per token that had to be waited for: no polling loop.
    expect(clock.sleeps).toEqual([200, 200, 200, 200, 200]);
  });

  it('serves waiters first in, first out, and tryAcquire never jumps the queue', async () => {
    const budget = new RateBudget({ perSecond: 20, perDay: 1000 });
    for (let i = 0; i < 20; i++) expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
    const order: number[] = [];
    const waiting = Array.from({ length: 5 }, (_, i) => budget.acquire().then(() => order.push(i)));
    expect(budget.snapshot().waiting).toBe(5);
    expect(budget.tryAcquire()).toBe(false);
    await Promise.all(waiting);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses at once past the daily budget with retryAfterMs until the next UTC day, and resets then', async () => {
    const { clock, now, sleep } = virtualClock(Date.UTC(2026, 0, 10, 23, 0, 0));
    const budget = new RateBudget({ perSecond: 100, perDay: 3, now, sleep });
    await budget.acquire();
    await budget.acquire();
    await budget.acquire();
    const error = await budget.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Xs2aError);
    expect((error as Xs2aError).kind).toBe('rate_limited');
    expect((error as Xs2aError).retryAfterMs).toBe(3_600_000);
    expect(budget.tryAcquire()).toBe(false);
    expect(budget.snapshot()).toMatchObject({ usedToday: 3, perDay: 3, resetsAt: Date.UTC(2026, 0, 11) });

    clock.t = Date.UTC(2026, 0, 11, 0, 0, 1);
    await budget.acquire();
    expect(budget.snapshot().usedToday).toBe(1);
  });

  it('an aborted waiter leaves the queue and gives its daily slot back', async () => {
    const budget = new RateBudget({ perSecond: 1, perDay: 2 });
    await budget.acquire();
    const controller = new AbortController();
    const waiting = budget.acquire(controller.signal);
    expect(budget.snapshot()).toMatchObject({ waiting: 1, usedToday: 2 });
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(budget.snapshot()).toMatchObject({ waiting: 0, usedToday: 1 });
    await expect(budget.acquire(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('budgetFor shares one budget per profile id across the process', () => {
    resetBudgets();
    const a = budgetFor({ id: 'bank-a', rateLimit: { perSecond: 2, perDay: 10 } });
    expect(budgetFor({ id: 'bank-a', rateLimit: { perSecond: 2, perDay: 10 } })).toBe(a);
    expect(budgetFor({ id: 'bank-b', rateLimit: { perSecond: 2, perDay: 10 } })).not.toBe(a);
    expect(a.snapshot()).toMatchObject({ perSecond: 2, perDay: 10 });
    const unlimited = budgetFor({ id: 'no-limit' });
    for (let i = 0; i < 1000; i++) expect(unlimited.tryAcquire()).toBe(true);
    resetBudgets();
    expect(budgetFor({ id: 'bank-a', rateLimit: { perSecond: 2, perDay: 10 } })).not.toBe(a);
  });

  it('rejects nonsensical limits', () => {
    expect(() => new RateBudget({ perSecond: 0, perDay: 10 })).toThrow(RangeError);
    expect(() => new RateBudget({ perSecond: 1, perDay: -1 })).toThrow(RangeError);
  });
});
