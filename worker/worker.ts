import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, type State, Worker, type WorkerOptions } from '@temporalio/worker';
import { bankActivities, createActivities, requireActivityDeps, type ActivityDeps } from '../activities';
import type { WorkerTuning } from '../config/worker-tuning';
import { bankTaskQueue } from '../temporal/bank-task-queues';

/** A folder: webpack resolves its index.ts under tsx and vitest, and index.js once compiled. */
export const WORKFLOWS_PATH = join(__dirname, '..', 'workflows');

/** The Temporal SDK's defaults, and 10 bank activities in flight per bank queue. */
export const DEFAULT_BANK_MAX_CONCURRENT_ACTIVITIES = 10;

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build it once); otherwise the worker bundles workflows/ at start. */
  workflowBundlePath?: string;
  /** The payload codec's converter (composition root's `dataConverter`): histories hold no plaintext. */
  dataConverter?: DataConverter;
  /** Concurrency and cache (WORKER_* variables: composition root's `workerTuning`); default the SDK's. */
  tuning?: Partial<WorkerTuning>;
  /** Over the options of the workflow worker (taskQueue, dataConverter and shutdown times reach the bank queues too). */
  overrides?: Partial<WorkerOptions>;
}

/**
 * One process's Workers, run and stopped together: the workflow worker on the service's task
 * queue (also running every activity, for runs scheduled before the bank-task-queues patch), and
 * one activity Worker per configured bank on `<task queue>-bank-<bank id>`, from which the Temporal
 * server dispatches at most bankActivitiesPerSecond(profile) activities a second to every process
 * polling it together.
 */
export class ServiceWorker {
  constructor(
    /** The workflow worker on the service's task queue. */
    readonly main: Worker,
    /** Bank id → the Worker on that bank's queue. */
    readonly banks: ReadonlyMap<string, Worker>,
  ) {}

  private get all(): Worker[] {
    return [this.main, ...this.banks.values()];
  }

  /** The workflow worker's state. */
  getState(): State {
    return this.main.getState();
  }

  /** Stops polling on every queue; run() resolves once all have drained. */
  shutdown(): void {
    for (const worker of this.all) if (worker.getState() === 'RUNNING') worker.shutdown();
  }

  /** Runs every Worker; one that stops or fails stops the others (a process serves all its queues or none). */
  async run(): Promise<void> {
    const runs = this.all.map((worker) => worker.run().finally(() => this.shutdown()));
    const results = await Promise.allSettled(runs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * Temporal's default `matching.numTaskqueueReadPartitions`: the server splits a task queue's rate
 * limit equally over its partitions (rate / 4 each), whichever partition the waiting tasks are in.
 */
export const TASK_QUEUE_PARTITIONS = 4;

/**
 * Activities per second a bank's queue may dispatch, fleet-wide: the bank's requests per second
 * times the partitions. Every bank activity sends at least one request (a sync sends several:
 * token, accounts, balances, transactions, pages), and even with every waiting activity in one
 * partition that partition alone starts `perSecond` a second, so activity starts never leave the
 * request budget idle; the precise limit is per request (banks/fleet-limiter.ts). This one caps
 * how fast work, retries included, can pile onto a bank: at most 4 × its request rate.
 */
export function bankActivitiesPerSecond(profile: { rateLimit?: { perSecond: number } }): number | undefined {
  return profile.rateLimit ? profile.rateLimit.perSecond * TASK_QUEUE_PARTITIONS : undefined;
}

/** Refuses (throws naming what is missing) when the activity deps are incomplete. */
export async function createWorker(options: CreateWorkerOptions): Promise<ServiceWorker> {
  const deps = requireActivityDeps(options.deps);
  const workflowSource = options.workflowBundlePath
    ? { workflowBundle: { codePath: options.workflowBundlePath } }
    : { workflowsPath: WORKFLOWS_PATH };
  const tuning = options.tuning ?? {};
  const activities = createActivities(deps);
  const overrides = options.overrides ?? {};
  const taskQueue = overrides.taskQueue ?? options.taskQueue;
  const dataConverter = overrides.dataConverter ?? options.dataConverter;
  const shared = {
    connection: options.connection,
    namespace: options.namespace,
    // Ctrl-C or a deploy must not wait forever on a sync stuck at a slow bank.
    shutdownGraceTime: overrides.shutdownGraceTime ?? '5 seconds',
    shutdownForceTime: overrides.shutdownForceTime ?? '15 seconds',
    ...(dataConverter ? { dataConverter } : {}),
    // Activity interceptors must see the activities wherever they run, bank queues included.
    ...(overrides.interceptors ? { interceptors: overrides.interceptors } : {}),
  };
  const main = await Worker.create({
    ...shared,
    taskQueue,
    activities,
    ...(tuning.maxConcurrentActivityTaskExecutions !== undefined
      ? { maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions }
      : {}),
    ...(tuning.maxConcurrentWorkflowTaskExecutions !== undefined
      ? { maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions }
      : {}),
    ...(tuning.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: tuning.maxCachedWorkflows } : {}),
    ...workflowSource,
    ...overrides,
  });
  const onBankQueues = bankActivities(activities);
  const banks = new Map<string, Worker>();
  for (const profile of deps.banks.profiles()) {
    const perSecond = bankActivitiesPerSecond(profile);
    banks.set(
      profile.id,
      await Worker.create({
        ...shared,
        taskQueue: bankTaskQueue(taskQueue, profile.id),
        activities: onBankQueues,
        maxConcurrentActivityTaskExecutions:
          tuning.bankMaxConcurrentActivityTaskExecutions ?? DEFAULT_BANK_MAX_CONCURRENT_ACTIVITIES,
        ...(perSecond !== undefined ? { maxTaskQueueActivitiesPerSecond: perSecond } : {}),
      }),
    );
  }
  return new ServiceWorker(main, banks);
}
