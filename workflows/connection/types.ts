/**
 * Plain-JSON types shared by the connection workflow, its activities and the API.
 * Nothing here may carry a token, verifier or code: it all goes into history.
 */
import type { ConnectionStatus } from '../../db/schema';

export type { ConnectionStatus };

export const TERMINAL_STATUSES: readonly ConnectionStatus[] = ['revoked'];
/** Statuses from which only a re-authorisation (or revocation) moves the connection on. */
export const DORMANT_STATUSES: readonly ConnectionStatus[] = [
  'reauth_required',
  'authorisation_expired',
  'rejected',
  'expired',
  'failed',
];

export interface ConnectionTiming {
  authorisationTimeoutMs: number;
  expiringSoonWarningMs: number;
  tokenRefreshMarginMs: number;
  /** Fixed interval between unattended syncs; default 24h / frequencyPerDay. */
  syncIntervalMs?: number;
  /** Extra random delay added to each interval, so connections spread over the day. */
  syncJitterMs: number;
  /** Cycles before continue-as-new (also done when the server suggests it). */
  maxCyclesPerRun: number;
  /** A sync attempt whose worker went silent this long is retried elsewhere. Default 1 minute. */
  syncHeartbeatTimeoutMs?: number;
}

export interface ConsentSnapshot {
  consentRowId: string;
  validUntil: string; // YYYY-MM-DD, inclusive
  frequencyPerDay: number;
  tokenExpiresAt?: number;
}

export interface ConnectionState {
  status: ConnectionStatus;
  statusReason?: string;
  consent?: ConsentSnapshot;
  authorisation?: { id: string; url: string; expiresAt: number };
  lastSyncAt?: number;
  nextSyncAt?: number;
  lastError?: string;
}

export interface ConnectionWorkflowInput {
  connectionId: string;
  customerId: string;
  aspspId: string;
  /** The PSU's IP at creation: Berlin Group 1.3.12 requires PSU-IP-Address on POST /consents. */
  psuIpAddress?: string;
  timing: ConnectionTiming;
  /** Set on continue-as-new. */
  carried?: ConnectionState;
}

export interface PsuCallback {
  authorisationId: string;
  outcome: 'approved' | 'denied' | 'error';
  /** Bank's error code from the redirect, e.g. access_denied. */
  error?: string;
  psuIpAddress?: string;
}

export interface SyncRequest {
  /** PSU present: the read is not counted against frequencyPerDay. */
  psuIpAddress?: string;
}

export interface SyncSummary {
  syncRunId: string;
  outcome: 'ok' | 'deferred';
  accounts: number;
  transactionsUpserted: number;
  transactionsRemoved: number;
  bankCalls: number;
  /** When deferred: frequencyPerDay used up until then. */
  nextAllowedAt?: number;
  finishedAt: number;
}

export interface ConnectionView extends ConnectionState {
  connectionId: string;
  customerId: string;
  aspspId: string;
}

export function workflowIdFor(connectionId: string): string {
  return `connection:${connectionId}`;
}
