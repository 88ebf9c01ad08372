import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { webhookDeliveries, webhookEndpoints, webhookEvents } from '../../db/pg/schema';
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

/** Webhook endpoints and deliveries in PostgreSQL: the same behaviour as repositories/sqlite/webhooks.ts. */
export function pgWebhookRepository(db: PgDb): WebhookEndpointRepository {
  const live = (id: string) => and(eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt));
  const find = async (id: string) => {
    const [row] = await db.select(endpointColumns).from(webhookEndpoints).where(live(id)).limit(1);
    return row;
  };
  return {
    async createEndpoint(input) {
      const [row] = await db
        .insert(webhookEndpoints)
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
        .returning(endpointColumns);
      return row;
    },
    async findEndpoint(id) {
      return find(id);
    },
    async listEndpoints() {
      return db
        .select(endpointColumns)
        .from(webhookEndpoints)
        .where(isNull(webhookEndpoints.deletedAt))
        .orderBy(desc(webhookEndpoints.createdAt), desc(webhookEndpoints.id));
    },
    async deleteEndpoint(id, at) {
      await db.update(webhookEndpoints).set({ deletedAt: at, updatedAt: at }).where(live(id));
    },
    async rotateSecret(id, secret, previousExpiresAt, at) {
      // PostgreSQL, like SQLite, evaluates every right-hand side against the row as it was: current moves to previous.
      await db
        .update(webhookEndpoints)
        .set({
          previousKeyId: sql`${webhookEndpoints.keyId}`,
          previousSecretEnc: sql`${webhookEndpoints.secretEnc}`,
          previousExpiresAt,
          keyId: secret.keyId,
          secretEnc: secret.value,
          updatedAt: at,
        })
        .where(live(id));
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
        .limit(options.limit);
    },
    async findDelivery(endpointId, deliveryId) {
      const [row] = await db
        .select(deliveryColumns)
        .from(webhookDeliveries)
        .innerJoin(webhookEvents, eq(webhookDeliveries.eventId, webhookEvents.id))
        .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.id, deliveryId)))
        .limit(1);
      return row;
    },
  };
}
