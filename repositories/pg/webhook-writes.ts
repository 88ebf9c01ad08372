import { and, asc, eq, isNull } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { webhookDeliveries, webhookEndpoints, webhookEvents } from '../../db/pg/schema';
import { outboxRow } from '../../webhooks/outbox';
import { deliveryValues } from '../plans/sql';
import type { DeliveryUpdate, WebhookOutboxRepository } from '../webhooks';
import { pgEnqueue } from './outbox';

/** The outbox, the dispatcher's and the delivery activities' writes on PostgreSQL. */
export function pgWebhookWrites(db: PgDb): WebhookOutboxRepository {
  const deliverySet = (values: DeliveryUpdate, at: number) => deliveryValues(values, at, webhookDeliveries.attempts);
  return {
    async enqueue(event) {
      const row = outboxRow(event);
      await pgEnqueue(db, [row]);
      return row.id;
    },
    async undispatchedEvents(limit) {
      return db
        .select({ id: webhookEvents.id, type: webhookEvents.type, customerId: webhookEvents.customerId })
        .from(webhookEvents)
        .where(isNull(webhookEvents.dispatchedAt))
        .orderBy(asc(webhookEvents.createdAt))
        .limit(limit);
    },
    async eventsOf(subjectId) {
      return db.select().from(webhookEvents).where(eq(webhookEvents.subjectId, subjectId));
    },
    async activeEndpoints() {
      return db
        .select({ id: webhookEndpoints.id, events: webhookEndpoints.events, customerIds: webhookEndpoints.customerIds })
        .from(webhookEndpoints)
        .where(and(eq(webhookEndpoints.status, 'enabled'), isNull(webhookEndpoints.deletedAt)));
    },
    async createDeliveries(deliveries) {
      if (deliveries.length) await db.insert(webhookDeliveries).values(deliveries).onConflictDoNothing();
    },
    async markDispatched(eventId, at) {
      await db.update(webhookEvents).set({ dispatchedAt: at }).where(eq(webhookEvents.id, eventId));
    },
    async loadDelivery(deliveryId) {
      const [row] = await db
        .select({ delivery: webhookDeliveries, event: webhookEvents, endpoint: webhookEndpoints })
        .from(webhookDeliveries)
        .innerJoin(webhookEvents, eq(webhookDeliveries.eventId, webhookEvents.id))
        .innerJoin(webhookEndpoints, eq(webhookDeliveries.endpointId, webhookEndpoints.id))
        .where(eq(webhookDeliveries.id, deliveryId))
        .limit(1);
      return row;
    },
    async updateDelivery(deliveryId, values, at) {
      await db.update(webhookDeliveries).set(deliverySet(values, at)).where(eq(webhookDeliveries.id, deliveryId));
    },
    async disableEndpointGone(endpointId, deliveryId, delivery, at) {
      await db.transaction(async (tx) => {
        await tx
          .update(webhookEndpoints)
          .set({ status: 'disabled', disabledReason: 'the endpoint answered 410 Gone', updatedAt: at })
          .where(eq(webhookEndpoints.id, endpointId));
        await tx.update(webhookDeliveries).set(deliverySet(delivery, at)).where(eq(webhookDeliveries.id, deliveryId));
      });
    },
  };
}
