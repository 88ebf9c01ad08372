import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { webhookDeliveries, webhookEndpoints, webhookEvents } from '../../db/schema';
import type { WebhookEndpointRepository } from '../webhooks';

const endpointColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  description: webhookEndpoints.description,
  events: webhookEndpoints.events,
  customerIds: webhookEndpoints.customerIds,
  status: webhookEndpoints.status,
  disabledReason: webhookEndpoints.disabledReason,
  previousSecretExpiresAt: webhookEndpoints.previousExpiresAt,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
};

const deliveryColumns = {
  id: webhookDeliveries.id,
  endpointId: webhookDeliveries.endpointId,
  eventId: webhookDeliveries.eventId,
  eventType: webhookEvents.type,
  eventCreatedAt: webhookEvents.createdAt,
  status: webhookDeliveries.status,
  attempts: webhookDeliveries.attempts,
  redeliveries: webhookDeliveries.redeliveries,
  lastStatusCode: webhookDeliveries.lastStatusCode,
  lastError: webhookDeliveries.lastError,
  lastAttemptAt: webhookDeliveries.lastAttemptAt,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  createdAt: webhookDeliveries.createdAt,
};

/** Webhook endpoints and deliveries in SQLite (the outbox itself is written by webhooks/outbox.ts). */
export function sqliteWebhookRepository(db: Db): WebhookEndpointRepository {
  const find = (id: string) =>
    db
      .select(endpointColumns)
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)))
      .get();
  return {
    async createEndpoint(input) {
      db.insert(webhookEndpoints)
        .values({
          id: input.id,
          url: input.url,
          description: input.description,
          events: input.events,
          customerIds: input.customerIds,
          keyId: input.secret.keyId,
          secretEnc: input.secret.value,
          createdAt: input.at,
          updatedAt: input.at,
        })
        .run();
      return find(input.id)!;
    },
    async findEndpoint(id) {
      return find(id);
    },
    async listEndpoints() {
      return db
        .select(endpointColumns)
        .from(webhookEndpoints)
        .where(isNull(webhookEndpoints.deletedAt))
        .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id))
        .all();
    },
    async deleteEndpoint(id, at) {
      db.update(webhookEndpoints)
        .set({ deletedAt: at, updatedAt: at })
        .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)))
        .run();
    },
    async rotateSecret(id, secret, previousExpiresAt, at) {
      // SQLite evaluates every right-hand side against the row as it was: current moves to previous.
      db.update(webhookEndpoints)
        .set({
          previousKeyId: sql`${webhookEndpoints.keyId}`,
          previousSecretEnc: sql`${webhookEndpoints.secretEnc}`,
          previousExpiresAt,
          keyId: secret.keyId,
          secretEnc: secret.value,
          updatedAt: at,
        })
        .where(and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt)))
        .run();
    },
    async listDeliveries(endpointId, options) {
      return db
        .select(deliveryColumns)
        .from(webhookDeliveries)
        .innerJoin(webhookEvents, eq(webhookDeliveries.eventId, webhookEvents.id))
        .where(
          and(
            eq(webhookDeliveries.endpointId, endpointId),
            options.status ? eq(webhookDeliveries.status, options.status) : undefined,
          ),
        )
        .orderBy(desc(webhookEvents.createdAt), desc(webhookDeliveries.id))
        .limit(options.limit)
        .all();
    },
    async findDelivery(endpointId, deliveryId) {
      return db
        .select(deliveryColumns)
        .from(webhookDeliveries)
        .innerJoin(webhookEvents, eq(webhookDeliveries.eventId, webhookEvents.id))
        .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.id, deliveryId)))
        .get();
    },
  };
}
