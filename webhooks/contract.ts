/**
 * The webhook contract our products code against: event types and the JSON each one carries.
 * Every event is `{ type, id, createdAt, data }`; `data` names the resource (connection or payment)
 * and its customer, and carries the resource's status at the time of the change, so a product can
 * ignore an event older than what it already knows (delivery order is not promised).
 *
 * Pure types and constants: imported by the API, the activities and the delivery workflow alike.
 */

export const WEBHOOK_EVENT_TYPES = [
  'connection.status_changed',
  'connection.expiring_soon',
  'connection.sync_completed',
  'payment.status_changed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

interface ConnectionRef {
  connectionId: string;
  customerId: string;
  aspspId: string;
  /** The connection's status when the event was written. */
  status: string;
}

export interface ConnectionStatusChangedData extends ConnectionRef {
  previousStatus: string;
  reason: string | null;
}

export interface ConnectionExpiringSoonData extends ConnectionRef {
  /** The consent's last valid day (YYYY-MM-DD, inclusive). */
  validUntil: string;
}

export interface ConnectionSyncCompletedData extends ConnectionRef {
  syncRunId: string;
  accounts: number;
  transactions: { added: number; updated: number; removed: number };
}

export interface PaymentStatusChangedData {
  paymentId: string;
  customerId: string;
  /** Our payment status. */
  status: string;
  previousStatus: string | null;
  /** The bank's transactionStatus (ISO 20022 code, e.g. ACSC), when known. */
  bankStatus: string | null;
}

export interface WebhookEventDataMap {
  'connection.status_changed': ConnectionStatusChangedData;
  'connection.expiring_soon': ConnectionExpiringSoonData;
  'connection.sync_completed': ConnectionSyncCompletedData;
  'payment.status_changed': PaymentStatusChangedData;
}

/** The body of one webhook: exactly these bytes are signed and sent on every attempt. */
export interface WebhookEvent<T extends WebhookEventType = WebhookEventType> {
  type: T;
  /** Also the `webhook-id` header: the same on every attempt and redelivery; deduplicate on it. */
  id: string;
  /** ISO 8601: when the change happened. */
  createdAt: string;
  data: WebhookEventDataMap[T];
}

/** A delivery's status in the API: pending (attempts left or running), succeeded, failed (gave up), cancelled. */
export type { WebhookDeliveryStatus } from '../db/schema';

/** Headers of the Standard Webhooks specification (standardwebhooks.com). */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;
