import type { Env } from './env';

/** How much one worker process takes on (WORKER_* in config/env.ts; README's configuration table). */
export interface WorkerTuning {
  /** Activities in flight on the service's task queue (bookkeeping, webhooks). */
  maxConcurrentActivityTaskExecutions: number;
  maxConcurrentWorkflowTaskExecutions: number;
  /** Workflows kept in the sticky cache; undefined: the SDK's default from the heap size. */
  maxCachedWorkflows?: number;
  /** Activities in flight per bank task queue (bank calls). */
  bankMaxConcurrentActivityTaskExecutions: number;
}

export function workerTuningFromEnv(env: Env): WorkerTuning {
  return {
    maxConcurrentActivityTaskExecutions: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    ...(env.WORKER_MAX_CACHED_WORKFLOWS !== undefined ? { maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS } : {}),
    bankMaxConcurrentActivityTaskExecutions: env.WORKER_BANK_MAX_CONCURRENT_ACTIVITIES,
  };
}
