/**
 * Every update the API waits on has a deadline, and "no worker" is told apart from "Temporal is
 * slow or down": the API answers 503 (no worker is polling, Temporal unavailable) or 504 (no
 * answer in time) with problem+json naming which, never hanging on a connection with no worker.
 */
import { WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { GRPC_DEADLINE_EXCEEDED, grpcCode, isTemporalUnavailable } from './temporal-errors';

/** The update waited on longest: a sync-now runs a whole sync at the bank. */
export const SYNC_DEADLINE_MS = 120_000;
/** Updates that only start something (an authorisation URL, a revocation). */
export const UPDATE_DEADLINE_MS = 30_000;
/** Checking for pollers must be quick. */
const POLLERS_DEADLINE_MS = 5_000;

// temporal.api.enums.v1: TaskQueueKind.TASK_QUEUE_KIND_NORMAL and TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW.
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;

export class TemporalWaitError extends Error {
  constructor(
    readonly status: 503 | 504,
    message: string,
  ) {
    super(message);
    this.name = 'TemporalWaitError';
  }
}

function address(temporal: Client): string {
  const { options } = temporal.connection as { options?: { address?: string } };
  return options?.address ?? 'the configured address';
}

/** 503 naming the task queue when no worker polls it; 503 naming Temporal when it does not answer. */
export async function requireWorker(temporal: Client, taskQueue: string): Promise<void> {
  let pollers: unknown[] | null | undefined;
  try {
    ({ pollers } = await temporal.connection.withDeadline(Date.now() + POLLERS_DEADLINE_MS, () =>
      temporal.workflowService.describeTaskQueue({
        namespace: temporal.options.namespace,
        taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
        taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
      }),
    ));
  } catch (err) {
    if (isTemporalUnavailable(err))
      throw new TemporalWaitError(503, `Temporal at ${address(temporal)} is unavailable; retry later`);
    throw err;
  }
  if (!pollers?.length)
    throw new TemporalWaitError(503, `no worker is polling the task queue ${taskQueue}; retry once a worker runs`);
}

/** Runs a Temporal call the API waits on: a worker must poll, and the call ends within `ms`. */
export async function withTemporalDeadline<T>(
  deps: { temporal: Client; taskQueue: string },
  what: string,
  ms: number,
  fn: () => Promise<T>,
): Promise<T> {
  await requireWorker(deps.temporal, deps.taskQueue);
  try {
    return await deps.temporal.connection.withDeadline(Date.now() + ms, fn);
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || grpcCode(err) === GRPC_DEADLINE_EXCEEDED)
      throw new TemporalWaitError(
        504,
        `Temporal did not answer ${what} within ${Math.round(ms / 1000)} s (is a worker polling ${deps.taskQueue}?)`,
      );
    if (isTemporalUnavailable(err))
      throw new TemporalWaitError(503, `Temporal at ${address(deps.temporal)} is unavailable; retry later`);
    throw err;
  }
}
