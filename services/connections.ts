import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { BankProfiles } from '../banks/directory';
import type { Db } from '../db/client';
import { connections } from '../db/schema';
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
  db: Db;
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
  psuIpAddress?: string;
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

  const id = input.connectionId ?? `con_${randomUUID()}`;
  deps.db
    .insert(connections)
    .values({
      id,
      customerId: input.customerId,
      aspspId: input.aspspId,
      status: 'awaiting_authorisation',
      redirectUrl: input.redirectUrl,
      requestedValidUntil: input.validUntil ?? null,
      frequencyPerDay,
      access: input.access ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .run();

  const handle = await deps.temporal.workflow.start(connectionWorkflow, {
    workflowId: workflowIdFor(id),
    taskQueue: deps.taskQueue,
    args: [
      {
        connectionId: id,
        customerId: input.customerId,
        aspspId: input.aspspId,
        psuIpAddress: input.psuIpAddress,
      },
    ],
    // A retried create (same idempotency key) reaches the same run instead of failing.
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: ConnectionIdKey, value: id },
      { key: CustomerIdKey, value: input.customerId },
      { key: AspspKey, value: input.aspspId },
      { key: ConnectionStatusKey, value: 'awaiting_authorisation' },
    ],
  });
  const { authorisationUrl, status } = await handle.executeUpdate(authorisationUrlUpdate);
  return { id, status, authorisationUrl: requireUrl(authorisationUrl, status) };
}

export async function connectionView(
  deps: Pick<ConnectionServiceDeps, 'temporal'>,
  connectionId: string,
): Promise<ConnectionView> {
  return deps.temporal.workflow.getHandle(workflowIdFor(connectionId)).query(statusQuery);
}

/** No URL means the bank refused to start the authorisation; the connection's status and lastError say why. */
function requireUrl(authorisationUrl: string, status: string): string {
  if (!authorisationUrl)
    throw new ConnectionUpstreamError(`the bank did not start an authorisation (connection is ${status})`);
  return authorisationUrl;
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

export async function syncNow(
  deps: Pick<ConnectionServiceDeps, 'temporal' | 'taskQueue'>,
  connectionId: string,
  psuIpAddress?: string,
): Promise<SyncNowResult> {
  return update(() =>
    withTemporalDeadline(deps, 'the sync', SYNC_DEADLINE_MS, () =>
      deps.temporal.workflow
        .getHandle(workflowIdFor(connectionId))
        .executeUpdate(syncNowUpdate, { args: [{ psuIpAddress }] }),
    ),
  );
}

export async function reauthorise(
  deps: Pick<ConnectionServiceDeps, 'temporal' | 'taskQueue'>,
  connectionId: string,
  psuIpAddress?: string,
): Promise<ReauthoriseResult> {
  const result = await update(() =>
    withTemporalDeadline(deps, 'the re-authorisation', UPDATE_DEADLINE_MS, () =>
      deps.temporal.workflow
        .getHandle(workflowIdFor(connectionId))
        .executeUpdate(reauthoriseUpdate, { args: [{ psuIpAddress }] }),
    ),
  );
  return { ...result, authorisationUrl: requireUrl(result.authorisationUrl, result.status) };
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
