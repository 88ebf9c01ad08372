import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { ApiApp, ApiDeps } from '../../deps';

const READINESS_TIMEOUT_MS = 2_000;

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

/** Database and Temporal must both answer within 2 s. */
export function defaultReadiness(deps: Pick<ApiDeps, 'db' | 'temporal'>): () => Promise<void> {
  return async () => {
    const checks: Record<string, () => Promise<unknown>> = {
      database: async () => deps.db.get(sql`select 1 as ok`),
      temporal: () => deps.temporal.workflowService.getSystemInfo({}),
    };
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
        summary: 'Readiness: database and Temporal answer within 2 s',
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
        request.log.warn({ failed }, 'not ready');
        // Unauthenticated route: name the failed checks only; the detail (addresses, paths) stays in the log.
        const names = Object.fromEntries(Object.keys(failed).map((name) => [name, 'unavailable']));
        return reply.code(503).send({ status: 'not_ready' as const, failed: names });
      }
    },
  );
}
