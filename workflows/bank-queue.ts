import { patched, workflowInfo } from '@temporalio/workflow';
import { BANK_TASK_QUEUES_PATCH, bankTaskQueue } from '../temporal/bank-task-queues';

/**
 * The task queue for an activity that calls `bankId`, as proxyActivities options: the bank's own
 * queue (rate-limited fleet-wide by Temporal) in runs that know the patch; the workflow's queue,
 * as recorded, in histories from before it. Call it where the activity is scheduled.
 */
export function bankQueue(bankId: string): { taskQueue?: string } {
  return patched(BANK_TASK_QUEUES_PATCH) ? { taskQueue: bankTaskQueue(workflowInfo().taskQueue, bankId) } : {};
}
