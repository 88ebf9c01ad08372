import type { ConnectionRecord } from '../../workflows/connection/contract';
import type { PaymentStatus } from '../../workflows/payment/contract';
import { connectionStatusEvents, paymentStatusChangedEvent, type OutboxRow } from '../../webhooks/outbox';
import type { ConnectionRow, ConsentRow, PaymentRow } from '../rows';

/** What the connection workflow mirrors into the row the API reads (the recordConnectionStatus activity). */
export type ConnectionStatusInput = ConnectionRecord;

export interface ConsentEventValues {
  connectionId: string;
  consentId: string | null;
  event: string;
  detail?: Record<string, unknown>;
}

/**
 * The writes of a connection's new status, all in one transaction: the row, its webhook events
 * (status_changed, expiring_soon) and, on a change, the audit event. `validUntil` is the current
 * consent's, read only where needsConsentValidity says so.
 */
export function connectionStatusWrites(
  before: ConnectionRow,
  input: ConnectionStatusInput,
  at: number,
  validUntil: string | undefined,
): { set: Partial<ConnectionRow>; events: OutboxRow[]; audit?: ConsentEventValues } {
  return {
    set: {
      status: input.status,
      statusReason: input.reason ?? null,
      lastError: input.lastError ?? null,
      lastSyncAt: input.lastSyncAt ?? before.lastSyncAt,
      nextSyncAt: input.nextSyncAt ?? before.nextSyncAt,
      updatedAt: at,
    },
    events: connectionStatusEvents({ before, status: input.status, reason: input.reason, at, validUntil }),
    ...(before.status !== input.status
      ? {
          audit: {
            connectionId: before.id,
            consentId: before.currentConsentId,
            event: 'status_changed',
            detail: { from: before.status, to: input.status, reason: input.reason },
          },
        }
      : {}),
  };
}

const ENDED_CONSENT = ['rejected', 'expired', 'revokedByPsu', 'terminatedByTpp'];

/** A consent's new status and its history row; undefined when the status is unchanged. */
export function consentStatusWrites(
  current: Pick<ConsentRow, 'id' | 'status'>,
  status: string,
  now: number,
): { set: Partial<ConsentRow>; history: { consentId: string; status: string; at: number } } | undefined {
  if (current.status === status) return undefined;
  return {
    set: {
      status,
      updatedAt: now,
      ...(ENDED_CONSENT.includes(status) ? { endedAt: now } : {}),
      ...(status === 'valid' ? { authorisedAt: now } : {}),
    },
    history: { consentId: current.id, status, at: now },
  };
}

export interface PaymentStatusInput {
  paymentId: string;
  status: PaymentStatus;
  bankStatus?: string;
  reason?: string;
  lastError?: string;
}

/**
 * Everything the API shows of a payment: status, bank status, reason and last error; a change of
 * status or bank status is appended to the history, and payment.status_changed (keyed by the
 * history's position, so a retried activity emits nothing new) commits with it.
 */
export function paymentStatusWrites(
  row: PaymentRow,
  input: PaymentStatusInput,
  now: number,
): { set: Partial<PaymentRow>; event?: OutboxRow } {
  const bankStatus = input.bankStatus ?? row.bankStatus ?? undefined;
  const changed = row.status !== input.status || (row.bankStatus ?? undefined) !== bankStatus;
  return {
    set: {
      status: input.status,
      bankStatus: bankStatus ?? null,
      statusReason: input.reason ?? null,
      lastError: input.lastError ?? row.lastError,
      statusHistory: changed
        ? [...row.statusHistory, { status: input.status, ...(bankStatus ? { bankStatus } : {}), at: now }]
        : row.statusHistory,
      updatedAt: now,
    },
    event: paymentStatusChangedEvent({
      paymentId: row.id,
      customerId: row.customerId,
      previousStatus: row.status,
      status: input.status,
      bankStatus: bankStatus ?? null,
      changeId: row.statusHistory.length,
      at: now,
    }),
  };
}
