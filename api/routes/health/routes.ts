import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { ApiApp, ApiDeps } from '../../deps';

const READINESS_TIMEOUT_MS = 2_000;
// temporal.api.enums.v1: TaskQueueKind.TASK_QUEUE_KIND_NORMAL and TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW.
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;

function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class NotReadyError extends Error {
  constructor(readonly failed: Record<string, string>) {
    super(`not ready: ${Object.keys(failed).join(', ')}`);
  }
}

export type ReadinessCheck = () => Promise<unknown>;

/** Resolves once a worker has polled the workflow task queue; throws naming the queue otherwise. */
export async function workerPolls(temporal: Client, taskQueue: string): Promise<void> {
  const { pollers } = await temporal.workflowService.describeTaskQueue({
    namespace: temporal.options.namespace,
    taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TASK_QUEUE_TYPE_WORKFLOW,
  });
  if (!pollers?.length) throw new Error(`no worker polls the task queue ${taskQueue}`);
}

/** The whole service: database answers, Temporal answers, and a worker polls our task queue. */
export function readinessChecks(
  deps: Pick<ApiDeps, 'repositories' | 'temporal' | 'taskQueue'>,
): Record<string, ReadinessCheck> {
  return {
    database: () => deps.repositories.ping(),
    temporal: () => deps.temporal.workflowService.getSystemInfo({}),
    worker: () => workerPolls(deps.temporal, deps.taskQueue),
  };
}

/** Every check must answer within 2 s; a failure names the checks that did not. */
export function readinessOf(checks: Record<string, ReadinessCheck>): () => Promise<void> {
  return async () => {
    const failed: Record<string, string> = {};
    await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await within(READINESS_TIMEOUT_MS, check());
        } catch (err) {
          failed[name] = err instanceof Error ? err.message.split('\n')[0] : String(err);
        }
      }),
    );
    if (Object.keys(failed).length) throw new NotReadyError(failed);
  };
}

export function defaultReadiness(deps: Pick<ApiDeps, 'repositories' | 'temporal' | 'taskQueue'>): () => Promise<void> {
  return readinessOf(readinessChecks(deps));
}

const healthSchema = z.object({ status: z.literal('ok') });
const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  failed: z.record(z.string(), z.string()).optional(),
});

export function healthRoutes(app: ApiApp, deps: ApiDeps): void {
  const readiness = deps.readiness ?? defaultReadiness(deps);

  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags: ['health'], summary: 'Liveness', security: [], response: { 200: healthSchema } },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Readiness: database and Temporal answer within 2 s, and a worker polls the task queue',
        security: [],
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (request, reply) => {
      try {
        await readiness();
        return { status: 'ready' as const };
      } catch (err) {
        const failed =
          err instanceof NotReadyError ? err.failed : { check: err instanceof Error ? err.message : String(err) };
        // The log names where Temporal was looked for (the answer does not: it is unauthenticated).
        const { options } = deps.temporal.connection as { options?: { address?: string } };
        request.log.warn({ failed, temporalAddress: options?.address }, 'not ready');
        // Unauthenticated route: name the failed checks only; the detail (addresses, paths) stays in the log.
        const names = Object.fromEntries(Object.keys(failed).map((name) => [name, 'unavailable']));
        return reply.code(503).send({ status: 'not_ready' as const, failed: names });
      }
    },
  );
}
