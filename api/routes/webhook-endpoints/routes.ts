import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../../webhooks/contract';
import { startWebhookDelivery } from '../../../webhooks/dispatcher';
import { encryptWebhookSecret } from '../../../webhooks/secrets';
import { generateWebhookSecret } from '../../../webhooks/signer';
import { DEFAULT_WEBHOOK_SETTINGS } from '../../../webhooks/settings';
import { checkWebhookUrl, WebhookUrlError, type Resolver, type WebhookUrlMode } from '../../../webhooks/url-policy';
import type { WebhookDeliveryRecord, WebhookEndpointRecord } from '../../../repositories';
import { principalOf, type ApiPrincipal } from '../../auth/authenticate';
import type { ApiApp, ApiDeps } from '../../deps';
import { ApiProblem, problemResponses } from '../../problem';
import {
  createdWebhookEndpointSchema,
  createWebhookEndpointBody,
  listDeliveriesQuery,
  redeliveryAcceptedSchema,
  rotatedSecretSchema,
  webhookDeliveryListSchema,
  webhookDeliveryParams,
  webhookEndpointListSchema,
  webhookEndpointParams,
  webhookEndpointSchema,
} from './schemas';

/** How the API treats webhook endpoints; everything has a default. */
export interface WebhookApiOptions {
  /** Default: production when NODE_ENV is production, else development (http to localhost allowed). */
  mode?: WebhookUrlMode;
  /** DNS for the production URL check (tests replace it). */
  resolve?: Resolver;
  /** How long a rotated-out secret keeps signing. Default 24 h. */
  rotationGraceMs?: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * An endpoint belongs to the customers of the key that created it (null: every customer). A key
 * sees it when it may act for all of those customers; otherwise it is as absent as a missing one.
 */
function visibleTo(principal: ApiPrincipal, endpoint: WebhookEndpointRecord): boolean {
  if (principal.customerIds === null) return true;
  return endpoint.customerIds !== null && endpoint.customerIds.every((c) => principal.customerIds!.includes(c));
}

function endpointView(e: WebhookEndpointRecord) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events ?? [...WEBHOOK_EVENT_TYPES],
    customerIds: e.customerIds,
    status: e.status,
    disabledReason: e.disabledReason,
    previousSecretExpiresAt: iso(e.previousSecretExpiresAt),
    createdAt: new Date(e.createdAt).toISOString(),
  };
}

function deliveryView(d: WebhookDeliveryRecord) {
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType,
    eventCreatedAt: new Date(d.eventCreatedAt).toISOString(),
    status: d.status,
    attempts: d.attempts,
    redeliveries: d.redeliveries,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastAttemptAt: iso(d.lastAttemptAt),
    nextAttemptAt: iso(d.nextAttemptAt),
  };
}

export function webhookEndpointRoutes(app: ApiApp, deps: ApiDeps): void {
  const now = () => (deps.now ?? Date.now)();
  const options = deps.webhooks ?? {};
  const mode: WebhookUrlMode = options.mode ?? (process.env.NODE_ENV === 'production' ? 'production' : 'development');
  // Looked up per request: the read model is the API's (deps.repositories).
  const repo = () => deps.repositories.webhooks;
  const graceMs = options.rotationGraceMs ?? DEFAULT_WEBHOOK_SETTINGS.rotationGraceMs;

  const owned = async (principal: ApiPrincipal, id: string) => {
    const endpoint = await repo().findEndpoint(id);
    if (!endpoint || !visibleTo(principal, endpoint)) throw new ApiProblem(404, `no webhook endpoint ${id}`);
    return endpoint;
  };

  app.post(
    '/v1/webhook-endpoints',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        tags: ['webhooks'],
        summary: "Register a webhook endpoint for the API key's customers; the signing secret is shown once",
        body: createWebhookEndpointBody(mode),
        response: { 201: createdWebhookEndpointSchema, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      let url: string;
      try {
        url = await checkWebhookUrl(request.body.url, mode, options.resolve);
      } catch (err) {
        if (!(err instanceof WebhookUrlError)) throw err;
        throw new ApiProblem(422, `url ${err.message}`, { errors: [{ field: 'url', message: err.message }] });
      }
      const id = `whe_${randomUUID()}`;
      const secret = generateWebhookSecret();
      const events = request.body.events ? [...new Set(request.body.events)] : null;
      const created = await repo().createEndpoint({
        id,
        url,
        description: request.body.description ?? null,
        events: events && events.length < WEBHOOK_EVENT_TYPES.length ? events : null,
        customerIds: principal.customerIds,
        secret: encryptWebhookSecret(deps.cipher, id, secret),
        at: now(),
      });
      return reply.code(201).send({ ...endpointView(created), secret });
    },
  );

  app.get(
    '/v1/webhook-endpoints',
    {
      config: { scope: 'webhooks:read' },
      schema: {
        tags: ['webhooks'],
        summary: 'The webhook endpoints this API key sees',
        response: { 200: webhookEndpointListSchema, ...problemResponses(401, 403) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const all = await repo().listEndpoints();
      return { webhookEndpoints: all.filter((e) => visibleTo(principal, e)).map(endpointView) };
    },
  );

  app.get(
    '/v1/webhook-endpoints/:id',
    {
      config: { scope: 'webhooks:read' },
      schema: {
        tags: ['webhooks'],
        summary: 'One webhook endpoint (never its secret)',
        params: webhookEndpointParams,
        response: { 200: webhookEndpointSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => endpointView(await owned(principalOf(request), request.params.id)),
  );

  app.delete(
    '/v1/webhook-endpoints/:id',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        tags: ['webhooks'],
        summary: 'Delete a webhook endpoint: no new deliveries, pending ones are cancelled',
        params: webhookEndpointParams,
        response: { 204: z.null().describe('Deleted'), ...problemResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const endpoint = await owned(principalOf(request), request.params.id);
      await repo().deleteEndpoint(endpoint.id, now());
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/webhook-endpoints/:id/rotate-secret',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        tags: ['webhooks'],
        summary: 'A new signing secret (shown once); the old one keeps signing for 24 hours',
        params: webhookEndpointParams,
        response: { 200: rotatedSecretSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const endpoint = await owned(principalOf(request), request.params.id);
      const secret = generateWebhookSecret();
      const at = now();
      const previousExpiresAt = at + graceMs;
      await repo().rotateSecret(
        endpoint.id,
        encryptWebhookSecret(deps.cipher, endpoint.id, secret),
        previousExpiresAt,
        at,
      );
      return { id: endpoint.id, secret, previousSecretExpiresAt: new Date(previousExpiresAt).toISOString() };
    },
  );

  app.get(
    '/v1/webhook-endpoints/:id/deliveries',
    {
      config: { scope: 'webhooks:read' },
      schema: {
        tags: ['webhooks'],
        summary: "An endpoint's deliveries, newest event first: attempts, last status, next attempt",
        params: webhookEndpointParams,
        querystring: listDeliveriesQuery,
        response: { 200: webhookDeliveryListSchema, ...problemResponses(401, 403, 404, 422) },
      },
    },
    async (request) => {
      const endpoint = await owned(principalOf(request), request.params.id);
      const rows = await repo().listDeliveries(endpoint.id, request.query);
      return { deliveries: rows.map(deliveryView) };
    },
  );

  app.post(
    '/v1/webhook-endpoints/:id/deliveries/:deliveryId/redeliver',
    {
      config: { scope: 'webhooks:write' },
      schema: {
        tags: ['webhooks'],
        summary: 'Deliver an event again (same webhook-id), with a fresh retry schedule',
        params: webhookDeliveryParams,
        response: { 202: redeliveryAcceptedSchema, ...problemResponses(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const endpoint = await owned(principalOf(request), request.params.id);
      const delivery = await repo().findDelivery(endpoint.id, request.params.deliveryId);
      if (!delivery) throw new ApiProblem(404, `no delivery ${request.params.deliveryId}`);
      if (endpoint.status !== 'enabled')
        throw new ApiProblem(409, 'the endpoint is disabled', { errors: [{ field: 'status', message: 'disabled' }] });
      if (delivery.status === 'pending')
        throw new ApiProblem(409, 'the delivery is still being attempted', {
          errors: [{ field: 'status', message: 'pending' }],
        });
      const run = delivery.redeliveries + 1;
      const started = await startWebhookDelivery(deps.temporal, deps.taskQueue, delivery.id, run);
      if (!started) throw new ApiProblem(409, 'this redelivery is already under way');
      return reply.code(202).send({ id: delivery.id, status: 'pending' as const, redelivery: run });
    },
  );
}
