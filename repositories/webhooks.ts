import type { WebhookDeliveryStatus } from '../db/schema';
import type { NewWebhookEvent } from '../webhooks/outbox';
import type { WebhookDeliveryRow, WebhookEndpointRow, WebhookEventRow } from './rows';

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

/** What a delivery attempt writes; `countAttempt` adds one to `attempts` in SQL (a late attempt is counted too). */
export type DeliveryUpdate = Partial<Omit<WebhookDeliveryRow, 'id' | 'attempts'>> & { countAttempt?: boolean };

/** A delivery with its event and endpoint, as the delivery activities read it. */
export interface LoadedDelivery {
  delivery: WebhookDeliveryRow;
  event: WebhookEventRow;
  endpoint: WebhookEndpointRow;
}

/** The webhooks' read model and the few writes the API makes. */
export interface WebhookEndpointRepository {
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

/**
 * The outbox (the repositories also write it with the change an event reports), the dispatcher's
 * and the delivery activities' reads and writes.
 */
export interface WebhookOutboxRepository {
  /** Writes an event into the outbox once per key (see webhooks/outbox.ts); returns its id. */
  enqueue(event: NewWebhookEvent): Promise<string>;
  /** Events no dispatcher has handled yet, oldest first. */
  undispatchedEvents(limit: number): Promise<Pick<WebhookEventRow, 'id' | 'type' | 'customerId'>[]>;
  eventsOf(subjectId: string): Promise<WebhookEventRow[]>;
  /** Enabled, not deleted endpoints with their filters. */
  activeEndpoints(): Promise<Pick<WebhookEndpointRow, 'id' | 'events' | 'customerIds'>[]>;
  /** One delivery per event and endpoint (existing ones are kept), in one transaction. */
  createDeliveries(deliveries: { id: string; eventId: string; endpointId: string }[]): Promise<void>;
  markDispatched(eventId: string, at: number): Promise<void>;
  loadDelivery(deliveryId: string): Promise<LoadedDelivery | undefined>;
  updateDelivery(deliveryId: string, values: DeliveryUpdate, at: number): Promise<void>;
  /** The endpoint answered 410 Gone: it is disabled and the delivery written, in one transaction. */
  disableEndpointGone(endpointId: string, deliveryId: string, delivery: DeliveryUpdate, at: number): Promise<void>;
}

export interface WebhookRepository extends WebhookEndpointRepository, WebhookOutboxRepository {}
