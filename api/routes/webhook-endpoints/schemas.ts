import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../../webhooks/contract';
import type { WebhookUrlMode } from '../../../webhooks/url-policy';
import { HOST_NAME, IPV4, PORT } from '../../http-url';

const eventType = z.enum(WEBHOOK_EVENT_TYPES);

/**
 * A webhook URL's form, as the document states it: https to a host name or IPv4 address (in
 * development also http to localhost, 127.0.0.1 or [::1]), an optional port, a path and query of
 * visible ASCII; no credentials, no fragment. Production also refuses, with 422, what a pattern
 * cannot say: localhost, non-public addresses, and names that do not resolve to public ones.
 */
export function webhookUrlPattern(mode: WebhookUrlMode): RegExp {
  const port = `(:(${PORT}))?`;
  // Visible ASCII but '#': a fragment is never sent.
  const rest = '([/?][!-"$-~]*)?';
  const https = `https://(${HOST_NAME}|${IPV4})${port}`;
  const local = `http://(localhost|127\\.0\\.0\\.1|\\[::1\\])${port}`;
  return new RegExp(`^(${mode === 'development' ? `${https}|${local}` : https})${rest}$`);
}

export const createWebhookEndpointBody = (mode: WebhookUrlMode) =>
  z
    .object({
      url: z
        .string()
        .max(2048)
        .regex(webhookUrlPattern(mode), {
          message:
            mode === 'development'
              ? 'must be an https URL (or http to localhost, 127.0.0.1 or [::1]) without credentials or fragment'
              : 'must be an https URL without credentials or fragment',
        })
        .describe(
          mode === 'development'
            ? 'https, or http to localhost, 127.0.0.1 or [::1] (development); no credentials, no fragment'
            : 'https; no credentials, no fragment; never localhost or a private, loopback or link-local address, ' +
                'checked after DNS resolution (422)',
        ),
      events: z
        .array(eventType)
        .min(1)
        .max(WEBHOOK_EVENT_TYPES.length)
        .optional()
        .describe('Event types to receive; all when absent'),
      description: z.string().max(500).optional(),
    })
    .strict()
    .meta({ id: 'CreateWebhookEndpoint' });

const endpointFields = {
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()).describe('Event types delivered'),
  customerIds: z
    .array(z.string())
    .nullable()
    .describe("Customers whose events are delivered (the API key's); null: all"),
  status: z.enum(['enabled', 'disabled']),
  disabledReason: z.string().nullable().describe('Why it was disabled, e.g. it answered 410 Gone'),
  previousSecretExpiresAt: z
    .string()
    .nullable()
    .describe('After a rotation: until then the previous secret signs too (a second v1 signature)'),
  createdAt: z.string(),
};

export const webhookEndpointSchema = z.object(endpointFields).meta({ id: 'WebhookEndpoint' });

export const createdWebhookEndpointSchema = z
  .object({
    ...endpointFields,
    secret: z.string().describe('whsec_…: verify webhooks with it. Shown only now.'),
  })
  .meta({ id: 'CreatedWebhookEndpoint' });

export const webhookEndpointListSchema = z
  .object({ webhookEndpoints: z.array(webhookEndpointSchema) })
  .meta({ id: 'WebhookEndpointList' });

export const rotatedSecretSchema = z
  .object({
    id: z.string(),
    secret: z.string().describe('The new whsec_… secret. Shown only now.'),
    previousSecretExpiresAt: z.string().describe('Until then webhooks carry a signature by the old secret too'),
  })
  .meta({ id: 'RotatedWebhookSecret' });

export const webhookEndpointParams = z.object({ id: z.string().min(1).max(100) });
export const webhookDeliveryParams = z.object({
  id: z.string().min(1).max(100),
  deliveryId: z.string().min(1).max(100),
});

const deliveryStatus = z.enum(['pending', 'succeeded', 'failed', 'cancelled']);

export const listDeliveriesQuery = z.object({
  status: deliveryStatus.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string().describe('Also the webhook-id header of every attempt'),
    eventType: z.string(),
    eventCreatedAt: z.string(),
    status: deliveryStatus.describe('pending: attempts left; failed: gave up (or 410); cancelled: endpoint deleted'),
    attempts: z.number().int(),
    redeliveries: z.number().int(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    lastAttemptAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export const webhookDeliveryListSchema = z
  .object({ deliveries: z.array(webhookDeliverySchema) })
  .meta({ id: 'WebhookDeliveryList' });

export const redeliveryAcceptedSchema = z
  .object({ id: z.string(), status: z.literal('pending'), redelivery: z.number().int() })
  .meta({ id: 'WebhookRedelivery' });
