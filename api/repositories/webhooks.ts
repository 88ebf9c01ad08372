import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { webhookDeliveries, webhookEndpoints, webhookEvents, type WebhookDeliveryStatus } from '../../db/schema';

/** What the API shows of an endpoint: never its secret, encrypted or not. */
export interface WebhookEndpointRecord {
  id: string;
  url: string;
  description: string | null;
  events: string[] | null;
  customerIds: string[] | null;
  status: 'enabled' | 'disabled';
  disabledReason: string | null;
  /** During a rotation: when the previous secret stops signing. */
  previousSecretExpiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface WebhookDeliveryRecord {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  eventCreatedAt: number;
  status: WebhookDeliveryStatus;
  attempts: number;
  redeliveries: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
  nextAttemptAt: number | null;
  createdAt: number;
}

export interface NewWebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  events: string[] | null;
  customerIds: string[] | null;
  /** The secret, already encrypted with the token cipher. */
  secret: { keyId: string; value: string };
  at: number;
}

/** The webhooks' read model and the few writes the API makes; async, so another SQL backend can follow. */
export interface WebhookRepository {
  createEndpoint(input: NewWebhookEndpoint): Promise<WebhookEndpointRecord>;
  /** Deleted endpoints are not found. */
  findEndpoint(id: string): Promise<WebhookEndpointRecord | undefined>;
  listEndpoints(): Promise<WebhookEndpointRecord[]>;
  /** No new deliveries; running ones stop at their next attempt. */
  deleteEndpoint(id: string, at: number): Promise<void>;
  /** The new secret becomes current; the current one keeps signing until previousExpiresAt. */
  rotateSecret(
    id: string,
    secret: { keyId: string; value: string },
    previousExpiresAt: number,
    at: number,
  ): Promise<void>;
  listDeliveries(
    endpointId: string,
    options: { limit: number; status?: WebhookDeliveryStatus },
  ): Promise<WebhookDeliveryRecord[]>;
  findDelivery(endpointId: string, deliveryId: string): Promise<WebhookDeliveryRecord | undefined>;
}

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

export function sqliteWebhookRepository(db: Db): WebhookRepository {
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
