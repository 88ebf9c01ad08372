import type {
  FastifyInstance,
  FastifyBaseLogger,
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
} from 'fastify';
import type { PayloadCodec } from '@temporalio/common';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../logging/logger';
import type { AppMetrics } from '../metrics/registry';
import type { Repositories } from '../repositories';
import type { ConnectionServiceDeps } from '../services/connections';
import type { WebhookApiOptions } from './routes/webhook-endpoints/routes';

export type ApiDeps = ConnectionServiceDeps & {
  /** Everything the API reads comes from here (the services still start and steer workflows). */
  repositories: Repositories;
  logger: Logger;
  /** Defaults to the process-wide `metrics`. */
  metrics?: AppMetrics;
  /**
   * Defaults to: the database answers, Temporal answers getSystemInfo, and a worker polls the
   * workflow task queue, each within 2 s (routes/health readinessChecks).
   */
  readiness?: () => Promise<void>;
  /** Webhook endpoints (issue 11): URL policy mode, DNS, rotation grace; defaults from NODE_ENV. */
  webhooks?: WebhookApiOptions;
  /** With it, POST /codec/{encode,decode} serve the Temporal UI and CLI (api/routes/codec). */
  payloadCodec?: PayloadCodec;
  /** Origins allowed to call the codec endpoint; default the local Temporal UI (port 8233). */
  temporalUiOrigins?: string[];
};

/** A fastify instance (or encapsulated scope) with zod schemas typing requests and replies. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's read model (deps.repositories), decorated on the root instance by buildApp. */
    repositories: Repositories;
  }
}
