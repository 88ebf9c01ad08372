import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { BankDirectory } from '../banks/directory';
import type { Db } from '../db/client';
import { authorisations, connections } from '../db/schema';
import type { TokenCipher } from '../secrets/token-cipher';
import { AspspKey, ConnectionIdKey, ConnectionStatusKey, CustomerIdKey } from '../temporal/search-attributes';
import { connectionWorkflow } from '../workflows/connection/workflow';
import {
  authorisationUrlUpdate,
  psuCallbackSignal,
  reauthoriseUpdate,
  revokeUpdate,
  statusQuery,
  syncNowUpdate,
} from '../workflows/connection/messages';
import {
  isInvalidState,
  workflowIdFor,
  type ConnectionTiming,
  type ConnectionView,
  type ReauthoriseResult,
  type RevokeResult,
  type SyncNowResult,
} from '../workflows/connection/contract';
import { hashState } from '../xs2a/oauth/pkce';

export interface ConnectionServiceDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  banks: BankDirectory;
  /**
   * @deprecated Ignored: the worker owns connection timing (ActivityDeps.timing, read by each
   * workflow run). Kept optional so existing composition code compiles; remove it there.
   */
  timing?: ConnectionTiming;
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
  deps: Pick<ConnectionServiceDeps, 'temporal'>,
  connectionId: string,
  psuIpAddress?: string,
): Promise<SyncNowResult> {
  return update(() =>
    deps.temporal.workflow
      .getHandle(workflowIdFor(connectionId))
      .executeUpdate(syncNowUpdate, { args: [{ psuIpAddress }] }),
  );
}

export async function reauthorise(
  deps: Pick<ConnectionServiceDeps, 'temporal'>,
  connectionId: string,
  psuIpAddress?: string,
): Promise<ReauthoriseResult> {
  const result = await update(() =>
    deps.temporal.workflow
      .getHandle(workflowIdFor(connectionId))
      .executeUpdate(reauthoriseUpdate, { args: [{ psuIpAddress }] }),
  );
  return { ...result, authorisationUrl: requireUrl(result.authorisationUrl, result.status) };
}

export async function revoke(
  deps: Pick<ConnectionServiceDeps, 'temporal'>,
  connectionId: string,
): Promise<RevokeResult> {
  return update(() => deps.temporal.workflow.getHandle(workflowIdFor(connectionId)).executeUpdate(revokeUpdate));
}

export interface CallbackQuery {
  state?: string;
  code?: string;
  error?: string;
  error_description?: string;
}

export type CallbackOutcome = 'approved' | 'denied' | 'error';

/**
 * The PSU's return from the bank. Checks the state, keeps the code encrypted in
 * SQLite (never in workflow history), signals the workflow and says where to send
 * the PSU: our product's redirectUrl with the connection id and outcome.
 */
export async function handlePsuCallback(
  deps: Pick<ConnectionServiceDeps, 'db' | 'temporal' | 'cipher' | 'now'>,
  query: CallbackQuery,
  psuIpAddress?: string,
): Promise<{ connectionId: string; outcome: CallbackOutcome; redirectTo: string }> {
  if (!query.state) throw new ConnectionInputError('state', 'the callback carries no state', 400);
  const auth = deps.db
    .select()
    .from(authorisations)
    .where(eq(authorisations.stateHash, hashState(query.state)))
    .get();
  if (!auth) throw new ConnectionInputError('state', 'unknown or expired state', 400);
  const connection = deps.db.select().from(connections).where(eq(connections.id, auth.connectionId)).get()!;
  const now = (deps.now ?? Date.now)();

  let outcome: CallbackOutcome;
  if (auth.outcome !== 'pending') {
    // The PSU reloaded the page: answer as before. Signal again, in case the first signal never
    // arrived (Temporal briefly away); the workflow ignores an authorisation it is not waiting for.
    outcome = auth.outcome === 'approved' ? 'approved' : auth.outcome === 'denied' ? 'denied' : 'error';
    if (auth.outcome !== 'expired') {
      await deps.temporal.workflow
        .getHandle(workflowIdFor(connection.id))
        .signal(psuCallbackSignal, { authorisationId: auth.id, outcome, error: auth.error ?? undefined, psuIpAddress });
    }
  } else {
    if (auth.expiresAt < now) throw new ConnectionInputError('state', 'this authorisation has expired', 400);
    outcome = query.error ? (query.error === 'access_denied' ? 'denied' : 'error') : 'approved';
    const code = query.code ? deps.cipher.encrypt(query.code, `${auth.id}:code`) : undefined;
    // Code and verifier share one key id: after a key rotation mid-authorisation, move the verifier over.
    const verifier =
      code && auth.codeVerifierEnc && code.keyId !== auth.keyId
        ? deps.cipher.encrypt(
            deps.cipher.decrypt(auth.keyId, auth.codeVerifierEnc, `${auth.id}:verifier`),
            `${auth.id}:verifier`,
          ).value
        : auth.codeVerifierEnc;
    deps.db
      .update(authorisations)
      .set({
        outcome: outcome === 'approved' ? 'approved' : outcome === 'denied' ? 'denied' : 'error',
        codeEnc: code?.value ?? null,
        codeVerifierEnc: verifier,
        keyId: code?.keyId ?? auth.keyId,
        error: query.error ?? null,
        psuIpAddress: psuIpAddress ?? auth.psuIpAddress,
      })
      .where(eq(authorisations.id, auth.id))
      .run();
    await deps.temporal.workflow.getHandle(workflowIdFor(connection.id)).signal(psuCallbackSignal, {
      authorisationId: auth.id,
      outcome,
      error: query.error,
      psuIpAddress,
    });
  }
  const target = new URL(connection.redirectUrl);
  target.searchParams.set('connectionId', connection.id);
  target.searchParams.set('outcome', outcome);
  return { connectionId: connection.id, outcome, redirectTo: target.toString() };
}
