import { createHash } from 'node:crypto';
import type { ConnectionRow, WebhookEventRow } from '../repositories/rows';
import type { WebhookEvent, WebhookEventDataMap, WebhookEventType } from './contract';

/**
 * The webhook outbox. An event is written in the same transaction as the change it reports (the
 * repositories do it: connections.recordStatus, connections.recordSyncCompleted,
 * payments.recordStatus), under an id derived from that change: the change and its event commit
 * together or not at all, and a retried activity (or an activity re-run by a replayed workflow)
 * writes the same id again, which is ignored. This module builds the rows, on either backend; the
 * dispatcher (webhooks/dispatcher.ts) turns them into delivery workflows.
 */

export interface NewWebhookEvent<T extends WebhookEventType = WebhookEventType> {
  type: T;
  /** Identifies the change, not the attempt: the same change gives the same key (e.g. a sync run's id). */
  key: string;
  customerId: string;
  /** The connection or payment id. */
  subjectId: string;
  /** When the change happened (ms since the epoch). */
  at: number;
  data: WebhookEventDataMap[T];
}

export type OutboxRow = Omit<WebhookEventRow, 'dispatchedAt'>;

export function webhookEventId(type: WebhookEventType, key: string): string {
  return `evt_${createHash('sha256').update(`${type}\n${key}`).digest('base64url').slice(0, 26)}`;
}

/** The outbox row of an event (inserted once per key: the insert ignores an existing id). */
export function outboxRow<T extends WebhookEventType>(event: NewWebhookEvent<T>): OutboxRow {
  const id = webhookEventId(event.type, event.key);
  const body: WebhookEvent<T> = {
    type: event.type,
    id,
    createdAt: new Date(event.at).toISOString(),
    data: event.data,
  };
  return {
    id,
    type: event.type,
    customerId: event.customerId,
    subjectId: event.subjectId,
    payload: JSON.stringify(body),
    createdAt: event.at,
  };
}

/**
 * connection.status_changed (and connection.expiring_soon on entering expiring_soon, when the
 * current consent's validUntil is given) for a status change of `before` to `status`. The key is
 * the row as it was (status and updated_at), so a retry that re-reads the same row writes nothing
 * new, and a retry after the commit sees no change at all.
 */
export function connectionStatusEvents(input: {
  before: Pick<ConnectionRow, 'id' | 'customerId' | 'aspspId' | 'status' | 'updatedAt' | 'currentConsentId'>;
  status: string;
  reason?: string | null;
  at: number;
  /** The current consent's validUntil; read only when entering expiring_soon (see needsConsentValidity). */
  validUntil?: string;
}): OutboxRow[] {
  const { before, status, at } = input;
  if (before.status === status) return [];
  const ref = { connectionId: before.id, customerId: before.customerId, aspspId: before.aspspId, status };
  const rows = [
    outboxRow({
      type: 'connection.status_changed',
      key: `${before.id}:${before.status}->${status}:${before.updatedAt}`,
      customerId: before.customerId,
      subjectId: before.id,
      at,
      data: { ...ref, previousStatus: before.status, reason: input.reason ?? null },
    }),
  ];
  if (status === 'expiring_soon' && before.currentConsentId && input.validUntil !== undefined) {
    // Once per consent: a connection warned about its consent is not warned again for it.
    rows.push(
      outboxRow({
        type: 'connection.expiring_soon',
        key: `${before.id}:${before.currentConsentId}`,
        customerId: before.customerId,
        subjectId: before.id,
        at,
        data: { ...ref, validUntil: input.validUntil },
      }),
    );
  }
  return rows;
}

/** Whether connectionStatusEvents needs the current consent's validUntil for this change. */
export function needsConsentValidity(before: Pick<ConnectionRow, 'status' | 'currentConsentId'>, status: string) {
  return before.status !== status && status === 'expiring_soon' && before.currentConsentId !== null;
}

export interface SyncCompletedInput {
  connectionId: string;
  syncRunId: string;
  accounts: number;
  transactions: { added: number; updated: number; removed: number };
  at: number;
  /** The workflow's next sync, recorded with lastSyncAt (runs with the sync-records-read-model patch). */
  nextSyncAt?: number;
}

/** connection.sync_completed, once per sync run (its id is the same on every attempt of the activity). */
export function syncCompletedEvent(
  connection: Pick<ConnectionRow, 'id' | 'customerId' | 'aspspId' | 'status'>,
  input: SyncCompletedInput,
): OutboxRow {
  return outboxRow({
    type: 'connection.sync_completed',
    key: input.syncRunId,
    customerId: connection.customerId,
    subjectId: connection.id,
    at: input.at,
    data: {
      connectionId: connection.id,
      customerId: connection.customerId,
      aspspId: connection.aspspId,
      status: connection.status,
      syncRunId: input.syncRunId,
      accounts: input.accounts,
      transactions: input.transactions,
    },
  });
}

/**
 * payment.status_changed for a payment's new status, written with it; `changeId` names the change
 * (the status history's position) so a retried activity does not emit twice.
 */
export function paymentStatusChangedEvent(input: {
  paymentId: string;
  customerId: string;
  previousStatus: string | null;
  status: string;
  bankStatus?: string | null;
  changeId: string | number;
  at: number;
}): OutboxRow | undefined {
  if (input.previousStatus === input.status) return undefined;
  return outboxRow({
    type: 'payment.status_changed',
    key: `${input.paymentId}:${input.previousStatus ?? ''}->${input.status}:${input.changeId}`,
    customerId: input.customerId,
    subjectId: input.paymentId,
    at: input.at,
    data: {
      paymentId: input.paymentId,
      customerId: input.customerId,
      status: input.status,
      previousStatus: input.previousStatus,
      bankStatus: input.bankStatus ?? null,
    },
  });
}
