export { RateBudget, budgetFor, resetBudgets } from './rate-budget';
export type { RateBudgetOptions, RateBudgetSnapshot } from './rate-budget';
export { UnattendedAccessCounter, sharedUnattendedCounter } from './unattended-counter';
export type { UnattendedCountResult } from './unattended-counter';
export { utcDay, nextUtcMidnight, msUntilNextUtcDay } from './utc-day';
export type { RequestLimiter } from './request-limiter';
