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
import type { ConnectionServiceDeps } from '../services/connections';

export type ApiDeps = ConnectionServiceDeps & {
  logger: Logger;
  /** Defaults to the process-wide `metrics`. */
  metrics?: AppMetrics;
  /** Defaults to: database answers select 1 and Temporal answers getSystemInfo, each within 2 s. */
  readiness?: () => Promise<void>;
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
