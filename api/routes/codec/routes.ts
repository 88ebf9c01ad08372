import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import { principalOf } from '../../auth/authenticate';
import type { ApiScope } from '../../auth/api-keys';
import type { ApiApp, ApiDeps } from '../../deps';
import { ApiProblem, problemResponses } from '../../problem';

export const CODEC_SCOPE: ApiScope = 'ops:codec';
export const DEFAULT_TEMPORAL_UI_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];
const ALLOWED_HEADERS = 'content-type, authorization, x-namespace';
/** A payload may be up to 2 MiB in Temporal; the UI and CLI send a few at a time. */
const CODEC_BODY_LIMIT = 8 * 1024 * 1024;

/** TEMPORAL_UI_ORIGIN: comma-separated origins; unset means the local UI of `temporal server start-dev`. */
export function temporalUiOriginsFrom(value: string | undefined): string[] {
  const origins = (value ?? '')
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  return origins.length ? origins : DEFAULT_TEMPORAL_UI_ORIGINS;
}

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
/** Temporal's JSON form of a Payload: metadata values and data in base64. */
const jsonPayloadSchema = z.object({
  metadata: z.record(z.string(), base64).optional(),
  data: base64.optional(),
});
// Protobuf JSON leaves out an empty list: the Temporal CLI sends `{}` for a message with no payloads.
export const codecBodySchema = z
  .object({ payloads: z.array(jsonPayloadSchema).default([]) })
  .meta({ id: 'CodecPayloads', description: 'Payloads in Temporal JSON form (base64 metadata values and data)' });

export type JsonPayload = z.infer<typeof jsonPayloadSchema>;

export function fromJson(payload: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) metadata[key] = Buffer.from(value, 'base64');
  return { metadata, data: Buffer.from(payload.data ?? '', 'base64') };
}

export function toJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    metadata[key] = Buffer.from(value ?? new Uint8Array()).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

/**
 * The Temporal UI's and CLI's remote codec protocol (`--ui-codec-endpoint`,
 * `temporal … --codec-endpoint <api>/codec --codec-auth 'Bearer <key>'`):
 * POST /codec/decode and /codec/encode take and return `{ payloads: [...] }`.
 * Keys must list `ops:codec` explicitly; CORS answers only the configured UI origins.
 * Registers nothing when the deps carry no payload codec.
 */
export function codecRoutes(app: ApiApp, deps: Pick<ApiDeps, 'payloadCodec' | 'temporalUiOrigins'>): void {
  const codec = deps.payloadCodec;
  if (!codec) return;
  const origins = new Set(deps.temporalUiOrigins?.length ? deps.temporalUiOrigins : DEFAULT_TEMPORAL_UI_ORIGINS);
  const allowedOrigin = (request: FastifyRequest) => {
    const origin = request.headers.origin;
    return origin && origins.has(origin) ? origin : undefined;
  };

  // On every answer of this group, errors (401, 403) included, so the UI can read them.
  app.addHook('onSend', async (request, reply) => {
    const origin = allowedOrigin(request);
    reply.header('vary', 'Origin');
    if (!origin) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
  });

  const requireOps = async (request: FastifyRequest) => {
    const principal = principalOf(request);
    // Explicit only: an unrestricted product key (scopes null) does not decrypt workflow payloads.
    if (!principal.scopes?.includes(CODEC_SCOPE)) {
      throw new ApiProblem(403, `this API key lacks the scope ${CODEC_SCOPE} (never implied by an unrestricted key)`);
    }
  };

  for (const operation of ['decode', 'encode'] as const) {
    const url = `/codec/${operation}`;

    app.options(
      url,
      { config: { public: true }, schema: { hide: true } },
      async (request: FastifyRequest, reply: FastifyReply) => {
        if (!allowedOrigin(request)) {
          throw new ApiProblem(403, `origin not allowed; set TEMPORAL_UI_ORIGIN to the Temporal UI's origin`);
        }
        return reply
          .code(204)
          .header('access-control-allow-methods', 'POST')
          .header('access-control-allow-headers', ALLOWED_HEADERS)
          .header('access-control-max-age', '600')
          .send();
      },
    );

    app.post(
      url,
      {
        bodyLimit: CODEC_BODY_LIMIT,
        preHandler: requireOps,
        schema: {
          tags: ['ops'],
          summary:
            operation === 'decode'
              ? 'Decrypt Temporal payloads for the Temporal UI and CLI (scope ops:codec)'
              : 'Encrypt Temporal payloads for the Temporal UI and CLI (scope ops:codec)',
          body: codecBodySchema,
          response: { 200: codecBodySchema, ...problemResponses(400, 401, 403, 422) },
        },
      },
      async (request) => {
        const payloads = request.body.payloads.map(fromJson);
        let result: Payload[];
        try {
          result = operation === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
        } catch (err) {
          // The codec's messages name key ids only, never key material or payload content.
          const message = err instanceof Error ? err.message : String(err);
          throw new ApiProblem(422, `the payloads cannot be ${operation}d: ${message}`);
        }
        return { payloads: result.map(toJson) };
      },
    );
  }
}
