import type { WebhookDeliveryStatus } from '../db/schema';

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
