import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../../../webhooks/contract';

const eventType = z.enum(WEBHOOK_EVENT_TYPES);

export const createWebhookEndpointBody = z
  .object({
    url: z
      .string()
      .min(1)
      .max(2048)
      .describe('https (http://localhost or http://127.0.0.1 in development); never a private address in production'),
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
