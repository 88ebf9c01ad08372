import { join } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, requireActivityDeps, type ActivityDeps } from '../activities';

/** A folder: webpack resolves its index.ts under tsx and vitest, and index.js once compiled. */
export const WORKFLOWS_PATH = join(__dirname, '..', 'workflows');

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests build it once); otherwise the worker bundles workflows/ at start. */
  workflowBundlePath?: string;
  /** The payload codec's converter (composition root's `dataConverter`): histories hold no plaintext. */
  dataConverter?: DataConverter;
  overrides?: Partial<WorkerOptions>;
}

/** Refuses (throws naming what is missing) when the activity deps are incomplete. */
export async function createWorker(options: CreateWorkerOptions): Promise<Worker> {
  const deps = requireActivityDeps(options.deps);
  const workflowSource = options.workflowBundlePath
    ? { workflowBundle: { codePath: options.workflowBundlePath } }
    : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(deps),
    // Ctrl-C or a deploy must not wait forever on a sync stuck at a slow bank.
    shutdownGraceTime: '5 seconds',
    shutdownForceTime: '15 seconds',
    ...workflowSource,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...options.overrides,
  });
}
