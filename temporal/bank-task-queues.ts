/**
 * Per-bank activity task queues: every activity that calls a bank runs on its bank's own queue,
 * served in each worker process by a Worker whose `maxTaskQueueActivitiesPerSecond` (enforced by
 * the Temporal server for all pollers together) comes from the bank profile. Imported by workflows
 * (plain data only) and by worker/worker.ts.
 */

/** Patch: runs that know it schedule bank-calling activities on the bank's queue (workflows/bank-queue.ts). */
export const BANK_TASK_QUEUES_PATCH = 'bank-task-queues';

/** `<task queue>-bank-<bank id>`, e.g. `openbanking-bank-enfuce-rocker`. */
export const bankTaskQueue = (taskQueue: string, bankId: string) => `${taskQueue}-bank-${bankId}`;

/** The activities that call a bank: what a bank queue's Worker registers. */
export const BANK_ACTIVITY_NAMES = [
  'createConsent',
  'completeAuthorisation',
  'refreshTokens',
  'revokeConsent',
  'syncConnection',
  'initiatePayment',
  'readPaymentStatus',
  'cancelPaymentAtBank',
  'confirmFunds',
] as const;

export type BankActivityName = (typeof BANK_ACTIVITY_NAMES)[number];
