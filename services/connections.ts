import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { BankProfiles } from '../banks/directory';
import { psuIpForBank } from '../banks/psu-ip';
import type { Repositories } from '../repositories';
import type { TokenCipher } from '../secrets/token-cipher';
import { AspspKey, ConnectionIdKey, ConnectionStatusKey, CustomerIdKey } from '../temporal/search-attributes';
import { connectionWorkflow } from '../workflows/connection/workflow';
import {
  authorisationUrlUpdate,
  reauthoriseUpdate,
  revokeUpdate,
  statusQuery,
  syncNowUpdate,
} from '../workflows/connection/messages';
import {
  isInvalidState,
  workflowIdFor,
  type AuthorisationUrlResult,
  type ConnectionView,
  type ReauthoriseResult,
  type RevokeResult,
  type SyncNowResult,
} from '../workflows/connection/contract';
import {
  handleScaCallback,
  ScaCallbackError,
  type CallbackQuery,
  type ScaCallbackDeps,
  type ScaCallbackResult,
  type ScaSubjectRegistry,
} from './sca-sessions';
import { scaSubjects } from './sca-subjects';
import { SYNC_DEADLINE_MS, UPDATE_DEADLINE_MS, withTemporalDeadline } from './temporal-deadline';

export interface ConnectionServiceDeps {
  /** Reads and writes (SQLite or PostgreSQL, as composition/root.ts chose). */
  repositories: Repositories;
  temporal: Client;
  taskQueue: string;
  /** Profiles only: the API process holds no bank transport or key. */
  banks: BankProfiles;
  cipher: TokenCipher;
  now?: () => number;
}

/** Bad input from a caller: the API answers 400/422 naming the field. */
export class ConnectionInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly status: 400 | 404 | 409 | 422 = 422,
  ) {
    super(message);
    this.name = 'ConnectionInputError';
  }
}

/** The bank (or the workflow acting on it) failed the request: the API answers 502 with the reason. */
export class ConnectionUpstreamError extends Error {
  readonly status = 502;
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionUpstreamError';
  }
}

// Kept for existing imports: the failure type lives in the workflow contract, the timing in config/timing.
export { INVALID_STATE } from '../workflows/connection/contract';
export { timingFromEnv } from '../config/timing';

export interface CreateConnectionInput {
  customerId: string;
  aspspId: string;
  redirectUrl: string;
  validUntil?: string;
  frequencyPerDay?: number;
  access?: Record<string, unknown>;
  /** The PSU's address as the caller named it (X-PSU-IP-Address): refused (422) where the bank cannot take it. */
  psuIpAddress?: string;
  /** The request's own address, used when none was named; dropped where the bank cannot take it. */
  requestIp?: string;
  /** Lets a caller's idempotency key map to one connection. */
  connectionId?: string;
}

const DAY_MS = 86_400_000;

export async function createConnection(deps: ConnectionServiceDeps, input: CreateConnectionInput) {
  if (!deps.banks.has(input.aspspId)) throw new ConnectionInputError('aspspId', `unknown ASPSP "${input.aspspId}"`);
  const profile = deps.banks.get(input.aspspId).profile;
  const now = (deps.now ?? Date.now)();
  const today = new Date(now).toISOString().slice(0, 10);
  if (input.validUntil !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.validUntil) || Number.isNaN(Date.parse(input.validUntil))) {
      throw new ConnectionInputError('validUntil', 'validUntil must be a date, YYYY-MM-DD');
    }
    if (input.validUntil < today) throw new ConnectionInputError('validUntil', 'validUntil is in the past');
    const max = new Date(now + (profile.consent.maxValidityDays - 1) * DAY_MS).toISOString().slice(0, 10);
    if (input.validUntil > max) {
      throw new ConnectionInputError(
        'validUntil',
        `${profile.name} grants consents of at most ${profile.consent.maxValidityDays} days (until ${max})`,
      );
    }
  }
  const frequencyPerDay = input.frequencyPerDay ?? profile.consent.defaultFrequencyPerDay;
  if (!Number.isInteger(frequencyPerDay) || frequencyPerDay < 1 || frequencyPerDay > 4) {
    throw new ConnectionInputError(
      'frequencyPerDay',
      'frequencyPerDay must be an integer from 1 to 4 (PSD2 unattended access)',
    );
  }

  const psuIpAddress = psuAddressFor(deps, input.aspspId, input.psuIpAddress, input.requestIp, 'X-PSU-IP-Address');

  const id = input.connectionId ?? `con_${randomUUID()}`;
  const inserted = await deps.repositories.connections.insert({
    id,
    customerId: input.customerId,
    aspspId: input.aspspId,
    status: 'awaiting_authorisation',
    redirectUrl: input.redirectUrl,
    requestedValidUntil: input.validUntil ?? null,
    frequencyPerDay,
    access: input.access ?? null,
    // Out of workflow history: createConsent reads the PSU's address here.
    psuIpAddress: psuIpAddress ?? null,
    createdAt: now,
    updatedAt: now,
  });

  let handle;
  try {
    handle = await deps.temporal.workflow.start(connectionWorkflow, {
      workflowId: workflowIdFor(id),
      taskQueue: deps.taskQueue,
      args: [{ connectionId: id, customerId: input.customerId, aspspId: input.aspspId }],
      // A retried create (same idempotency key) reaches the same run instead of failing.
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: ConnectionIdKey, value: id },
        { key: CustomerIdKey, value: input.customerId },
        { key: AspspKey, value: input.aspspId },
        { key: ConnectionStatusKey, value: 'awaiting_authorisation' },
      ],
    });
  } catch (err) {
    // No workflow, no connection: a row this call inserted must not stay awaiting_authorisation
    // for ever (the idempotent retry inserts it again).
    if (inserted) await deps.repositories.connections.delete(id);
    throw err;
  }
  const result = await handle.executeUpdate(authorisationUrlUpdate);
  return { id, status: result.status, authorisationUrl: await authorisationUrlOf(deps, result) };
}

/**
 * The PSU address to keep for the bank: the named one (refused with 422 where the bank cannot
 * take it, naming the field), else the request's own (dropped where the bank cannot take it).
 */
function psuAddressFor(
  deps: Pick<ConnectionServiceDeps, 'banks'>,
  aspspId: string,
  named: string | undefined,
  fallback: string | undefined,
  field: string,
): string | undefined {
  const profile = deps.banks.get(aspspId).profile;
  const decision = psuIpForBank(profile, named);
  if (decision.kind === 'send') return decision.ip;
  if (decision.kind === 'unsupported')
    throw new ConnectionInputError(field, `${decision.reason}; ${named} cannot be sent`);
  const implicit = psuIpForBank(profile, fallback);
  return implicit.kind === 'send' ? implicit.ip : undefined;
}

/** The URL of the authorisation an update answered: from the SCA session row (older runs return it). */
async function authorisationUrlOf(
  deps: Pick<ConnectionServiceDeps, 'repositories' | 'cipher'>,
  result: AuthorisationUrlResult,
): Promise<string> {
  if (result.authorisationUrl) return result.authorisationUrl;
  const session = result.authorisationId ? await deps.repositories.scaSessions.get(result.authorisationId) : undefined;
  if (!session?.authorisationUrlEnc)
    throw new ConnectionUpstreamError(`the bank did not start an authorisation (connection is ${result.status})`);
  return deps.cipher.decrypt(session.keyId, session.authorisationUrlEnc, `${session.id}:url`);
}

export async function connectionView(
  deps: Pick<ConnectionServiceDeps, 'temporal'>,
  connectionId: string,
): Promise<ConnectionView> {
  return deps.temporal.workflow.getHandle(workflowIdFor(connectionId)).query(statusQuery);
}

async function update<R>(fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    // A validator's refusal (wrong status) is the caller's problem; anything else failed at the bank.
    if (isInvalidState(err.cause)) throw new ConnectionInputError('status', err.cause.message, 409);
    throw new ConnectionUpstreamError(err.cause?.message ?? err.message);
  }
}

/** Keeps the PSU's address in the connection row, where the bank calls read it (never in history). */
function storePsuAddress(
  deps: Pick<ConnectionServiceDeps, 'repositories'>,
  connectionId: string,
  ip: string | undefined,
): Promise<void> {
  return deps.repositories.connections.setPsuAddress(connectionId, ip ?? null);
}

async function aspspOf(deps: Pick<ConnectionServiceDeps, 'repositories'>, connectionId: string): Promise<string> {
  const row = await deps.repositories.connections.row(connectionId);
  if (!row) throw new ConnectionInputError('id', 'no such connection', 404);
  return row.aspspId;
}

/**
 * With the PSU's address the PSU is present and the read is not counted against frequencyPerDay.
 * An address the bank cannot take (IPv6 where the bank wants IPv4) cannot prove the PSU's
 * presence to the bank: the sync runs unattended (counted), it does not fail.
 */
export async function syncNow(
  deps: Pick<ConnectionServiceDeps, 'temporal' | 'taskQueue' | 'repositories' | 'banks'>,
  connectionId: string,
  psuIpAddress?: string,
): Promise<SyncNowResult> {
  const ip = psuIpAddress
    ? psuIpForBank(deps.banks.get(await aspspOf(deps, connectionId)).profile, psuIpAddress)
    : undefined;
  const present = ip?.kind === 'send';
  if (present) await storePsuAddress(deps, connectionId, ip.ip);
  return update(() =>
    withTemporalDeadline(deps, 'the sync', SYNC_DEADLINE_MS, () =>
      deps.temporal.workflow
        .getHandle(workflowIdFor(connectionId))
        .executeUpdate(syncNowUpdate, { args: [present ? { psuPresent: true } : {}] }),
    ),
  );
}

export async function reauthorise(
  deps: Pick<ConnectionServiceDeps, 'temporal' | 'taskQueue' | 'repositories' | 'banks' | 'cipher'>,
  connectionId: string,
  psuIpAddress?: string,
  requestIp?: string,
): Promise<ReauthoriseResult> {
  const ip = psuAddressFor(deps, await aspspOf(deps, connectionId), psuIpAddress, requestIp, 'X-PSU-IP-Address');
  await storePsuAddress(deps, connectionId, ip);
  const result = await update(() =>
    withTemporalDeadline(deps, 'the re-authorisation', UPDATE_DEADLINE_MS, () =>
      deps.temporal.workflow.getHandle(workflowIdFor(connectionId)).executeUpdate(reauthoriseUpdate, { args: [{}] }),
    ),
  );
  return { ...result, authorisationUrl: await authorisationUrlOf(deps, result) };
}

export async function revoke(
  deps: Pick<ConnectionServiceDeps, 'temporal' | 'taskQueue'>,
  connectionId: string,
): Promise<RevokeResult> {
  return update(() =>
    withTemporalDeadline(deps, 'the revocation', UPDATE_DEADLINE_MS, () =>
      deps.temporal.workflow.getHandle(workflowIdFor(connectionId)).executeUpdate(revokeUpdate),
    ),
  );
}

export type { CallbackOutcome, CallbackQuery } from './sca-sessions';

/**
 * The PSU's return from the bank, as GET /callback handles it: routed by SCA session (see
 * `handleScaCallback`), so a connection's session signals its workflow and a payment's its own.
 * A refused callback (no, unknown or expired state) is a ConnectionInputError with status 400.
 */
export async function handlePsuCallback(
  deps: ScaCallbackDeps & { scaSubjects?: ScaSubjectRegistry },
  query: CallbackQuery,
  psuIpAddress?: string,
): Promise<ScaCallbackResult & { connectionId?: string }> {
  try {
    const result = await handleScaCallback(deps, deps.scaSubjects ?? scaSubjects, query, psuIpAddress);
    return result.subjectType === 'connection' ? { ...result, connectionId: result.subjectId } : result;
  } catch (err) {
    if (err instanceof ScaCallbackError) throw new ConnectionInputError(err.field, err.message, err.status);
    throw err;
  }
}
