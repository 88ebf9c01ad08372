import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { BankProfiles } from '../banks/directory';
import type { BankProfile } from '../xs2a/profiles/types';
import type { Notice } from './notices';
import { psuIpForBank } from '../banks/psu-ip';
import type { ConnectionStatus } from '../db/schema';
import type { Repositories } from '../repositories';
import type { ScaSessionRow } from '../repositories/rows';
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
  /** The PSU's address as the caller named it (X-PSU-IP-Address). */
  psuIpAddress?: string;
  /** The request's own address, used when none was named; dropped where the bank cannot take it. */
  requestIp?: string;
  /** Lets a caller's idempotency key map to one connection. */
  connectionId?: string;
}

/** What create and re-authorise answer: where to send the PSU, and what the bank was asked. */
export interface StartedAuthorisation {
  id: string;
  status: ConnectionStatus;
  authorisationUrl: string;
  /** The last day of access asked of the bank for this consent (the bank may grant less). */
  validUntil?: string;
  notices?: Notice[];
}

const DAY_MS = 86_400_000;

/**
 * The validUntil to ask the bank for: as requested, moved into what the bank grants (today to
 * today + maxValidityDays − 1). A later date is shortened, as Berlin Group lets the bank do
 * itself ("9999-12-31": as long as possible); a date already past asks for the shortest consent,
 * until today. Either way the caller is told.
 */
export function clampValidUntil(
  requested: string,
  profile: Pick<BankProfile, 'name' | 'consent'>,
  now: number,
): { validUntil: string; notice?: Notice } {
  const today = new Date(now).toISOString().slice(0, 10);
  const max = new Date(now + (profile.consent.maxValidityDays - 1) * DAY_MS).toISOString().slice(0, 10);
  if (requested > max) {
    return {
      validUntil: max,
      notice: {
        field: 'validUntil',
        message: `${profile.name} grants consents of at most ${profile.consent.maxValidityDays} days: asked until ${max}`,
      },
    };
  }
  if (requested < today) {
    return {
      validUntil: today,
      notice: { field: 'validUntil', message: `${requested} is past: asked until today, ${today}` },
    };
  }
  return { validUntil: requested };
}

export async function createConnection(
  deps: ConnectionServiceDeps,
  input: CreateConnectionInput,
): Promise<StartedAuthorisation> {
  if (!deps.banks.has(input.aspspId)) throw new ConnectionInputError('aspspId', `unknown ASPSP "${input.aspspId}"`);
  const profile = deps.banks.get(input.aspspId).profile;
  const now = (deps.now ?? Date.now)();
  const notices: Notice[] = [];
  let validUntil: string | undefined;
  if (input.validUntil !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input.validUntil) || Number.isNaN(Date.parse(input.validUntil))) {
      throw new ConnectionInputError('validUntil', 'validUntil must be a date, YYYY-MM-DD');
    }
    const clamped = clampValidUntil(input.validUntil, profile, now);
    validUntil = clamped.validUntil;
    if (clamped.notice) notices.push(clamped.notice);
  }
  const frequencyPerDay = input.frequencyPerDay ?? profile.consent.defaultFrequencyPerDay;
  if (!Number.isInteger(frequencyPerDay) || frequencyPerDay < 1 || frequencyPerDay > 4) {
    throw new ConnectionInputError(
      'frequencyPerDay',
      'frequencyPerDay must be an integer from 1 to 4 (PSD2 unattended access)',
    );
  }

  const psu = psuAddressFor(deps, input.aspspId, input.psuIpAddress, input.requestIp, 'X-PSU-IP-Address');
  const psuIpAddress = psu.ip;
  if (psu.notice) notices.push(psu.notice);

  const id = input.connectionId ?? `con_${randomUUID()}`;
  const inserted = await deps.repositories.connections.insert({
    id,
    customerId: input.customerId,
    aspspId: input.aspspId,
    status: 'awaiting_authorisation',
    redirectUrl: input.redirectUrl,
    requestedValidUntil: validUntil ?? null,
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
  return started(deps, id, result, notices);
}

/**
 * The PSU address to keep for the bank: the named one, else the request's own. Consent requests
 * carry PSU-IP-Address (mandatory on POST /consents), so where the bank cannot take the named
 * address (IPv6 at an IPv4-only bank) the connection goes ahead without it (the bank is told
 * 0.0.0.0, unknown, as when no address is known) and the caller is told: our header never fails
 * a PSU's connection. A request address the bank cannot take is dropped silently: nobody named it.
 */
function psuAddressFor(
  deps: Pick<ConnectionServiceDeps, 'banks'>,
  aspspId: string,
  named: string | undefined,
  fallback: string | undefined,
  field: string,
): { ip?: string; notice?: Notice } {
  const profile = deps.banks.get(aspspId).profile;
  const decision = psuIpForBank(profile, named);
  if (decision.kind === 'send') return { ip: decision.ip };
  if (decision.kind === 'unsupported') {
    return {
      notice: {
        field,
        message: `${decision.reason}: ${named} is not sent; the bank is told the PSU's address is unknown (0.0.0.0)`,
      },
    };
  }
  const implicit = psuIpForBank(profile, fallback);
  return implicit.kind === 'send' ? { ip: implicit.ip } : {};
}

/** Create's and re-authorise's answer: the URL and what the bank was asked, from the SCA session row. */
async function started(
  deps: Pick<ConnectionServiceDeps, 'repositories' | 'cipher'>,
  id: string,
  result: AuthorisationUrlResult,
  notices: Notice[],
): Promise<StartedAuthorisation> {
  const session = result.authorisationId ? await deps.repositories.scaSessions.get(result.authorisationId) : undefined;
  const consent = session?.consentId ? await deps.repositories.consents.get(session.consentId) : undefined;
  return {
    id,
    status: result.status,
    authorisationUrl: authorisationUrlOf(deps, result, session),
    ...(consent ? { validUntil: consent.validUntil } : {}),
    ...(notices.length > 0 ? { notices } : {}),
  };
}

/** The URL of the authorisation an update answered: from the SCA session row (older runs return it). */
function authorisationUrlOf(
  deps: Pick<ConnectionServiceDeps, 'cipher'>,
  result: AuthorisationUrlResult,
  session: ScaSessionRow | undefined,
): string {
  if (result.authorisationUrl) return result.authorisationUrl;
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

/** A sync's summary, and whether the bank was told the PSU is present (PSU-IP-Address). */
export type SyncNowAnswer = SyncNowResult & { psuPresent: boolean; notices?: Notice[] };

/**
 * With the PSU's address the PSU is present and the read is not counted against frequencyPerDay.
 * An address the bank cannot take (IPv6 where the bank wants IPv4) cannot prove the PSU's
 * presence to the bank: the sync runs unattended (counted), it does not fail, and the answer
 * says so (psuPresent false, a notice naming the field).
 */
export async function syncNow(
  deps: Pick<ConnectionServiceDeps, 'temporal' | 'taskQueue' | 'repositories' | 'banks'>,
  connectionId: string,
  psuIpAddress?: string,
): Promise<SyncNowAnswer> {
  const ip = psuIpAddress
    ? psuIpForBank(deps.banks.get(await aspspOf(deps, connectionId)).profile, psuIpAddress)
    : undefined;
  const present = ip?.kind === 'send';
  if (present) await storePsuAddress(deps, connectionId, ip.ip);
  const summary = await update(() =>
    withTemporalDeadline(deps, 'the sync', SYNC_DEADLINE_MS, () =>
      deps.temporal.workflow
        .getHandle(workflowIdFor(connectionId))
        .executeUpdate(syncNowUpdate, { args: [present ? { psuPresent: true } : {}] }),
    ),
  );
  const notices =
    ip?.kind === 'unsupported'
      ? [
          {
            field: 'psuIpAddress',
            message: `${ip.reason}: ${psuIpAddress} is not sent, so the bank counts this read as unattended (frequencyPerDay)`,
          },
        ]
      : undefined;
  return { ...summary, psuPresent: present, ...(notices ? { notices } : {}) };
}

export async function reauthorise(
  deps: Pick<ConnectionServiceDeps, 'temporal' | 'taskQueue' | 'repositories' | 'banks' | 'cipher'>,
  connectionId: string,
  psuIpAddress?: string,
  requestIp?: string,
): Promise<StartedAuthorisation> {
  const psu = psuAddressFor(deps, await aspspOf(deps, connectionId), psuIpAddress, requestIp, 'X-PSU-IP-Address');
  await storePsuAddress(deps, connectionId, psu.ip);
  const result = await update(() =>
    withTemporalDeadline(deps, 'the re-authorisation', UPDATE_DEADLINE_MS, () =>
      deps.temporal.workflow.getHandle(workflowIdFor(connectionId)).executeUpdate(reauthoriseUpdate, { args: [{}] }),
    ),
  );
  return started(deps, connectionId, result, psu.notice ? [psu.notice] : []);
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

/**
 * DELETE /v1/connections/{id}: revokes the consent at the bank (unless the connection is revoked
 * already, e.g. by the PSU) and marks the row deleted, after which the API answers 404 for it. The
 * row stays for audit, webhooks and the workflow. Marked only once the revocation held: a failed
 * one leaves the connection as it was, for a retry.
 */
export async function deleteConnection(
  deps: Pick<ConnectionServiceDeps, 'temporal' | 'taskQueue' | 'repositories' | 'now'>,
  connectionId: string,
): Promise<void> {
  const statusOf = async () => (await deps.repositories.connections.row(connectionId))?.status;
  if ((await statusOf()) !== 'revoked') {
    try {
      await revoke(deps, connectionId);
    } catch (err) {
      // Revoked between our read and the update (the PSU at the bank): the caller's intent holds.
      if (!(err instanceof ConnectionInputError && err.status === 409 && (await statusOf()) === 'revoked')) throw err;
    }
  }
  await deps.repositories.connections.markDeleted(connectionId, (deps.now ?? Date.now)());
}

export type { CallbackOutcome, CallbackQuery } from './sca-sessions';

/**
 * The PSU's return from the bank, as GET /callback handles it: routed by SCA session (see
 * `handleScaCallback`), so a connection's session signals its workflow and a payment's its own.
 * A refused callback is a ConnectionInputError: 400 without a state, 404 for an unknown or expired one.
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
