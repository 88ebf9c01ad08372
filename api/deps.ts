import type {
  FastifyInstance,
  FastifyBaseLogger,
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../logging/logger';
import type { AppMetrics } from '../metrics/registry';
import type { ConnectionServiceDeps } from '../services/connections';
import type { WebhookApiOptions } from './routes/webhook-endpoints/routes';

export type ApiDeps = ConnectionServiceDeps & {
  logger: Logger;
  /** Defaults to the process-wide `metrics`. */
  metrics?: AppMetrics;
  /** Defaults to: database answers select 1 and Temporal answers getSystemInfo, each within 2 s. */
  readiness?: () => Promise<void>;
  /** Webhook endpoints (issue 11): URL policy mode, DNS, rotation grace; defaults from NODE_ENV. */
  webhooks?: WebhookApiOptions;
};

/** A fastify instance (or encapsulated scope) with zod schemas typing requests and replies. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;
