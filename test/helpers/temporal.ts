import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities';
import { forwardTemporalLogs } from '../../logging/temporal-runtime';
import { createWorker, type ServiceWorker } from '../../worker/worker';
import { testLogger } from './logger';

export const NAMESPACE = 'default';

export interface TestWorker {
  client: Client;
  worker: ServiceWorker;
  taskQueue: string;
  /** Stops the worker and closes its connections (the client's too, unless keepClient). */
  stop(options?: { keepClient?: boolean }): Promise<void>;
}

/** A worker on its own task queue against the run's dev server, with the prebuilt bundle. */
export async function startTestWorker(deps: ActivityDeps, overrides: Partial<WorkerOptions> = {}): Promise<TestWorker> {
  forwardTemporalLogs(testLogger());
  const address = inject('temporalAddress');
  const taskQueue = overrides.taskQueue ?? `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createWorker({
    connection: nativeConnection,
    namespace: NAMESPACE,
    taskQueue,
    deps,
    workflowBundlePath: inject('workflowBundlePath'),
    overrides,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: NAMESPACE });
  return {
    client,
    worker,
    taskQueue,
    async stop(options = {}) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await nativeConnection.close();
      if (!options.keepClient) await connection.close();
    },
  };
}
