import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { connections, consents, webhookEvents } from '../db/schema';
import type { WebhookEvent, WebhookEventDataMap, WebhookEventType } from './contract';

/**
 * The webhook outbox. An event is written in the same SQLite transaction as the change it reports,
 * under an id derived from that change: the change and its event commit together or not at all, and
 * a retried activity (or an activity re-run by a replayed workflow) writes the same id again, which
 * is ignored. The dispatcher (webhooks/dispatcher.ts) turns rows into delivery workflows.
 */

/** A drizzle database or a transaction on it. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

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

export function webhookEventId(type: WebhookEventType, key: string): string {
  return `evt_${createHash('sha256').update(`${type}\n${key}`).digest('base64url').slice(0, 26)}`;
}

/** Writes the event into the outbox (once per key); returns its id. */
export function enqueueEvent<T extends WebhookEventType>(tx: DbOrTx, event: NewWebhookEvent<T>): string {
  const id = webhookEventId(event.type, event.key);
  const body: WebhookEvent<T> = {
    type: event.type,
    id,
    createdAt: new Date(event.at).toISOString(),
    data: event.data,
  };
  tx.insert(webhookEvents)
    .values({
      id,
      type: event.type,
      customerId: event.customerId,
      subjectId: event.subjectId,
      payload: JSON.stringify(body),
      createdAt: event.at,
    })
    .onConflictDoNothing()
    .run();
  return id;
}

type ConnectionRow = typeof connections.$inferSelect;

/**
 * connection.status_changed (and connection.expiring_soon on entering expiring_soon) for a status
 * change of `before` to `status`. Call it inside the transaction that writes the new status; the
 * key is the row as it was (status and updated_at), so a retry that re-reads the same row writes
 * nothing new, and a retry after the commit sees no change at all.
 */
export function recordConnectionEvent(
  tx: DbOrTx,
  input: {
    before: Pick<ConnectionRow, 'id' | 'customerId' | 'aspspId' | 'status' | 'updatedAt' | 'currentConsentId'>;
    status: string;
    reason?: string | null;
    at: number;
  },
): void {
  const { before, status, at } = input;
  if (before.status === status) return;
  const ref = { connectionId: before.id, customerId: before.customerId, aspspId: before.aspspId, status };
  enqueueEvent(tx, {
    type: 'connection.status_changed',
    key: `${before.id}:${before.status}->${status}:${before.updatedAt}`,
    customerId: before.customerId,
    subjectId: before.id,
    at,
    data: { ...ref, previousStatus: before.status, reason: input.reason ?? null },
  });
  if (status === 'expiring_soon' && before.currentConsentId) {
    const consent = tx
      .select({ validUntil: consents.validUntil })
      .from(consents)
      .where(eq(consents.id, before.currentConsentId))
      .get();
    if (consent) {
      // Once per consent: a connection warned about its consent is not warned again for it.
      enqueueEvent(tx, {
        type: 'connection.expiring_soon',
        key: `${before.id}:${before.currentConsentId}`,
        customerId: before.customerId,
        subjectId: before.id,
        at,
        data: { ...ref, validUntil: consent.validUntil },
      });
    }
  }
}

/** connection.sync_completed, once per sync run (its id is the same on every attempt of the activity). */
export function recordSyncCompleted(
  tx: DbOrTx,
  input: {
    connectionId: string;
    syncRunId: string;
    accounts: number;
    transactions: { added: number; updated: number; removed: number };
    at: number;
  },
): void {
  const connection = tx.select().from(connections).where(eq(connections.id, input.connectionId)).get();
  if (!connection) return;
  enqueueEvent(tx, {
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
 * payment.status_changed, for the payment activity that records a payment's new status: call it in
 * the same transaction, with `changeId` naming the change (e.g. the status-history row's id, or the
 * payment row's updated_at before the write) so a retried activity does not emit twice.
 */
export function recordPaymentStatusChanged(
  tx: DbOrTx,
  input: {
    paymentId: string;
    customerId: string;
    previousStatus: string | null;
    status: string;
    bankStatus?: string | null;
    changeId: string | number;
    at: number;
  },
): void {
  if (input.previousStatus === input.status) return;
  enqueueEvent(tx, {
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
