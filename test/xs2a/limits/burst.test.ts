import { describe, expect, it } from 'vitest';
import { RateBudget, budgetFor, resetBudgets } from '../../../xs2a/limits/rate-budget';

describe('RateBudget burst', () => {
  it('holds at most `burst` tokens while refilling at perSecond', () => {
    let now = 0;
    const budget = new RateBudget({ perSecond: 5, perDay: 1_000, burst: 4, now: () => now });
    expect([1, 2, 3, 4, 5].map(() => budget.tryAcquire())).toEqual([true, true, true, true, false]);
    now += 10_000; // a long pause refills only up to the burst
    expect([1, 2, 3, 4, 5].map(() => budget.tryAcquire())).toEqual([true, true, true, true, false]);
    now += 200; // and the sustained rate is still 5/s
    expect(budget.tryAcquire()).toBe(true);
  });

  it("a bank profile's budget keeps one token of the bank's bucket free", () => {
    resetBudgets();
    const budget = budgetFor({ id: 'burst-test', rateLimit: { perSecond: 5, perDay: 1_000 } });
    expect(budget.snapshot().tokens).toBe(4);
    resetBudgets();
  });
});
