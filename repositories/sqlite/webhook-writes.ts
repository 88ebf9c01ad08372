import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { webhookDeliveries, webhookEndpoints, webhookEvents } from '../../db/schema';
import { outboxRow } from '../../webhooks/outbox';
import { deliveryValues } from '../plans/sql';
import type { DeliveryUpdate, WebhookOutboxRepository } from '../webhooks';
import { sqliteEnqueue } from './outbox';

/** The outbox, the dispatcher's and the delivery activities' writes on SQLite. */
export function sqliteWebhookWrites(db: Db): WebhookOutboxRepository {
  const deliverySet = (values: DeliveryUpdate, at: number) => deliveryValues(values, at, webhookDeliveries.attempts);
  return {
    async enqueue(event) {
      const row = outboxRow(event);
      sqliteEnqueue(db, [row]);
      return row.id;
    },
    async undispatchedEvents(limit) {
      return db
        .select({ id: webhookEvents.id, type: webhookEvents.type, customerId: webhookEvents.customerId })
        .from(webhookEvents)
        .where(isNull(webhookEvents.dispatchedAt))
        .orderBy(asc(webhookEvents.createdAt))
        .limit(limit)
        .all();
    },
    async eventsOf(subjectId) {
      return db.select().from(webhookEvents).where(eq(webhookEvents.subjectId, subjectId)).all();
    },
    async activeEndpoints() {
      return db
        .select({ id: webhookEndpoints.id, events: webhookEndpoints.events, customerIds: webhookEndpoints.customerIds })
        .from(webhookEndpoints)
        .where(and(eq(webhookEndpoints.status, 'enabled'), isNull(webhookEndpoints.deletedAt)))
        .all();
    },
    async createDeliveries(deliveries) {
      if (deliveries.length) db.insert(webhookDeliveries).values(deliveries).onConflictDoNothing().run();
    },
    async markDispatched(eventId, at) {
      db.update(webhookEvents).set({ dispatchedAt: at }).where(eq(webhookEvents.id, eventId)).run();
    },
    async loadDelivery(deliveryId) {
      return db
        .select({ delivery: webhookDeliveries, event: webhookEvents, endpoint: webhookEndpoints })
        .from(webhookDeliveries)
        .innerJoin(webhookEvents, eq(webhookDeliveries.eventId, webhookEvents.id))
        .innerJoin(webhookEndpoints, eq(webhookDeliveries.endpointId, webhookEndpoints.id))
        .where(eq(webhookDeliveries.id, deliveryId))
        .get();
    },
    async updateDelivery(deliveryId, values, at) {
      db.update(webhookDeliveries).set(deliverySet(values, at)).where(eq(webhookDeliveries.id, deliveryId)).run();
    },
    async disableEndpointGone(endpointId, deliveryId, delivery, at) {
      db.transaction((tx) => {
        tx.update(webhookEndpoints)
          .set({ status: 'disabled', disabledReason: 'the endpoint answered 410 Gone', updatedAt: at })
          .where(eq(webhookEndpoints.id, endpointId))
          .run();
        tx.update(webhookDeliveries).set(deliverySet(delivery, at)).where(eq(webhookDeliveries.id, deliveryId)).run();
      });
    },
  };
}
