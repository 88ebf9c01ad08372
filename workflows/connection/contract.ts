/**
 * The connection workflow's contract with its activities, the services and the API: statuses,
 * failure types, message payloads and results, timing. Plain JSON and small pure helpers only,
 * safe in the workflow sandbox. Nothing here may carry a token, verifier or code: it all goes
 * into history.
 *
 * Names that running workflows and recorded histories depend on (the workflow type, signal,
 * update, query and activity names, the failure type strings) must never change.
 */
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { Xs2aErrorKind } from '../../xs2a/errors';

// ---------------------------------------------------------------------------------------------
// Statuses

export const CONNECTION_STATUSES = [
  'awaiting_authorisation',
  'active',
  'expiring_soon',
  'reauth_required',
  'authorisation_expired',
  'rejected',
  'expired',
  'revoked',
  'failed',
] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export const TERMINAL_STATUSES: readonly ConnectionStatus[] = ['revoked'];
/** Statuses from which only a re-authorisation (or revocation) moves the connection on. */
export const DORMANT_STATUSES: readonly ConnectionStatus[] = [
  'reauth_required',
  'authorisation_expired',
  'rejected',
  'expired',
  'failed',
];
/** Statuses in which unattended syncs run and syncNow is accepted. */
export const SYNCING_STATUSES: readonly ConnectionStatus[] = ['active', 'expiring_soon'];

// ---------------------------------------------------------------------------------------------
// Failures

/**
 * The kinds a bank activity fails with: every Xs2aErrorKind, plus consent_revoked (the PSU
 * revoked the consent at the bank, detected by the sync activity).
 */
export const BANK_FAILURE_KINDS = [
  'rate_limited',
  'access_exceeded',
  'server',
  'timeout',
  'network',
  'malformed_response',
  'invalid_response',
  'token_invalid',
  'grant_invalid',
  'consent_invalid',
  'consent_expired',
  'signature',
  'certificate',
  'bad_request',
  'configuration',
  'consent_revoked',
] as const;
export type BankFailureKind = (typeof BANK_FAILURE_KINDS)[number];
// Compile-time check: a new Xs2aErrorKind must be added to BANK_FAILURE_KINDS.
const _everyXs2aKind: readonly BankFailureKind[] = [] as Xs2aErrorKind[];
void _everyXs2aKind;

const BANK_FAILURE_PREFIX = 'Xs2a.' as const;

/** The ApplicationFailure type of a bank activity's failure: "Xs2a.<kind>" (recorded in histories). */
export function bankFailureType(kind: BankFailureKind): `Xs2a.${BankFailureKind}` {
  return `${BANK_FAILURE_PREFIX}${kind}`;
}

/** The cause of an ActivityFailure (or the error itself). */
function failureCause(err: unknown): unknown {
  return err instanceof ActivityFailure && err.cause ? err.cause : err;
}

/** The bank failure kind an activity failed with, if it was a bank failure of a known kind. */
export function bankFailureKind(err: unknown): BankFailureKind | undefined {
  const cause = failureCause(err);
  if (!(cause instanceof ApplicationFailure) || !cause.type?.startsWith(BANK_FAILURE_PREFIX)) return undefined;
  const kind = cause.type.slice(BANK_FAILURE_PREFIX.length);
  return (BANK_FAILURE_KINDS as readonly string[]).includes(kind) ? (kind as BankFailureKind) : undefined;
}

/** True when an activity failed with a bank failure type ("Xs2a.*"), even of a kind this release does not know. */
export function isBankFailure(err: unknown): boolean {
  const cause = failureCause(err);
  return cause instanceof ApplicationFailure && cause.type?.startsWith(BANK_FAILURE_PREFIX) === true;
}

/** The message of a failed activity's cause, for lastError and status reasons. */
export function failureMessage(err: unknown): string {
  const cause = failureCause(err);
  return cause instanceof Error ? cause.message : String(cause);
}

/** What a bank failure means for the connection. */
export type BankFailureEffect =
  | { kind: 'status'; status: Extract<ConnectionStatus, 'expired' | 'revoked' | 'reauth_required' | 'failed'> }
  /** Retries were exhausted on a transient problem: keep the connection, try next cycle. */
  | { kind: 'transient' }
  /**
   * Our configuration or infrastructure failed (TLS trust, our certificate refused or blocked, our
   * signature, our API key, a token we cannot decrypt): not the customer's fault. The connection keeps
   * its status, lastError says why, the next regular cycle tries again, so it recovers by itself once
   * the operator fixes the configuration.
   */
  | { kind: 'ours' };

/**
 * Kinds caused by our side, never by the PSU or their consent: 'configuration' (our CA bundle, a
 * token we cannot decrypt, our API key refused), 'certificate' (our QWAC refused, CERTIFICATE_BLOCKED,
 * …) and 'signature' (our QSEAL signature refused).
 */
export const OUR_FAULT_KINDS: readonly BankFailureKind[] = ['configuration', 'certificate', 'signature'];

export function isOurFault(kind: BankFailureKind | undefined): boolean {
  return kind !== undefined && OUR_FAULT_KINDS.includes(kind);
}

export function bankFailureEffect(kind: BankFailureKind | undefined): BankFailureEffect {
  switch (kind) {
    case 'consent_expired':
      return { kind: 'status', status: 'expired' };
    case 'consent_revoked':
      return { kind: 'status', status: 'revoked' };
    case 'consent_invalid':
    case 'grant_invalid':
    case 'token_invalid':
      return { kind: 'status', status: 'reauth_required' };
    case 'access_exceeded': // the bank counted more than we did: the next regular cycle tries again
    case undefined:
    case 'rate_limited':
    case 'server':
    case 'timeout':
    case 'network':
    case 'malformed_response':
      return { kind: 'transient' };
    default:
      return { kind: 'status', status: 'failed' };
  }
}

/** The failure type of an update refused because the connection's status does not allow it (API: 409). */
export const INVALID_STATE = 'InvalidState';

export function invalidStateFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: INVALID_STATE, message, nonRetryable: true });
}

/** True for a validator's refusal (the cause of a WorkflowUpdateFailedError, or the failure itself). */
export function isInvalidState(err: unknown): err is ApplicationFailure {
  const cause = err instanceof Error && !(err instanceof ApplicationFailure) ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === INVALID_STATE;
}

// ---------------------------------------------------------------------------------------------
// Timing

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

// ---------------------------------------------------------------------------------------------
// State, input, messages

export interface ConsentSnapshot {
  consentRowId: string;
  validUntil: string; // YYYY-MM-DD, inclusive
  frequencyPerDay: number;
  tokenExpiresAt?: number;
  /** When the refresh token lapses (refresh-on-use runs): the workflow wakes for token upkeep only before that. */
  refreshTokenExpiresAt?: number;
}

export interface ConnectionState {
  status: ConnectionStatus;
  statusReason?: string;
  consent?: ConsentSnapshot;
  /**
   * The authorisation waiting for the PSU. `url` is set only in runs of the previous release:
   * an OAuth bank's URL carries the state, so it now stays (encrypted) in the SCA session row.
   */
  authorisation?: { id: string; url: string; expiresAt: number };
  lastSyncAt?: number;
  nextSyncAt?: number;
  lastError?: string;
}

export interface ConnectionWorkflowInput {
  connectionId: string;
  customerId: string;
  aspspId: string;
  /**
   * Only runs started by the previous release carry the PSU's IP here. It is personal data and
   * stays out of history now: the API keeps it in the connection row, where createConsent reads it.
   */
  psuIpAddress?: string;
  /**
   * Only runs started by the previous release carry this: the worker owns timing now (the
   * connectionTiming activity, read at the start of every run). Kept so their histories replay.
   */
  timing?: ConnectionTiming;
  /** Set on continue-as-new. */
  carried?: ConnectionState;
}

export interface PsuCallback {
  authorisationId: string;
  outcome: 'approved' | 'denied' | 'error';
  /** Bank's error code from the redirect, e.g. access_denied. */
  error?: string;
  /** Only in signals of the previous release; the address is in the SCA session row now. */
  psuIpAddress?: string;
}

export interface SyncRequest {
  /** Only in updates of the previous release. */
  psuIpAddress?: string;
  /** PSU present: the API stored its address in the connection row; the read is not counted. */
  psuPresent?: boolean;
}

export interface ReauthoriseRequest {
  /** Only in updates of the previous release; the API stores the address in the connection row. */
  psuIpAddress?: string;
}

/** What the PSU is told after returning from the bank: the connection's real answer. */
export type PsuOutcome = 'approved' | 'denied' | 'pending' | 'error';

/** psuReturned update: the outcome once the workflow settled this return (the consent checked at the bank). */
export interface PsuReturnedResult {
  outcome: PsuOutcome;
  status: ConnectionStatus;
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
  /** OAuth banks: when the PSU's access token, as the sync left it (refreshed on use), expires. */
  tokenExpiresAt?: number;
  /** OAuth banks: when the refresh token lapses, if the bank or its profile says. */
  refreshTokenExpiresAt?: number;
}

/**
 * authorisationUrl update: the authorisation waiting for the PSU; the API reads its URL from the
 * SCA session row (runs of the previous release return the URL itself). Neither means the bank
 * refused to start the authorisation (see status).
 */
export interface AuthorisationUrlResult {
  authorisationUrl: string;
  authorisationId?: string;
  status: ConnectionStatus;
}
export type ReauthoriseResult = AuthorisationUrlResult;
export interface RevokeResult {
  status: ConnectionStatus;
}
export type SyncNowResult = SyncSummary;

export interface ConnectionView extends ConnectionState {
  connectionId: string;
  customerId: string;
  aspspId: string;
}

/**
 * What recordConnectionStatus writes: everything the API shows about a connection that the
 * workflow owns (validUntil is the current consent row's, written by completeAuthorisation).
 * An absent lastError clears it; absent lastSyncAt / nextSyncAt keep the stored values.
 */
export interface ConnectionRecord {
  connectionId: string;
  status: ConnectionStatus;
  reason?: string;
  lastError?: string;
  lastSyncAt?: number;
  nextSyncAt?: number;
}

// ---------------------------------------------------------------------------------------------
// Names

export const CONNECTION_WORKFLOW_TYPE = 'connectionWorkflow';

export function workflowIdFor(connectionId: string): string {
  return `connection:${connectionId}`;
}
