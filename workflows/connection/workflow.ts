import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { ConnectionStatusKey } from '../../temporal/search-attributes';
import {
  authorisationUrlUpdate,
  psuCallbackSignal,
  reauthoriseUpdate,
  revokeUpdate,
  statusQuery,
  syncNowUpdate,
} from './messages';
import {
  DORMANT_STATUSES,
  type ConnectionState,
  type ConnectionStatus,
  type ConnectionWorkflowInput,
  type PsuCallback,
  type SyncRequest,
  type SyncSummary,
} from './types';

const DAY_MS = 86_400_000;

const bank = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6 },
});

const syncActivities = (heartbeatTimeoutMs = 60_000) =>
  proxyActivities<Activities>({
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 6 },
  });

const local = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 10 },
});

/** A refusal the API answers with 409: the connection's status does not allow the request. */
function invalidState(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidState', message, nonRetryable: true });
}

/** The Xs2aError kind an activity failed with ("Xs2a.<kind>"), if it was one. */
function failureKind(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type?.startsWith('Xs2a.')) return cause.type.slice(5);
  return undefined;
}

function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * One connection's whole life: consent, the PSU's trip to the bank, tokens,
 * unattended syncs within frequencyPerDay, expiry, re-authorisation, revocation.
 * Runs until revoked; dormant states wait for a re-authorisation.
 */
export async function connectionWorkflow(input: ConnectionWorkflowInput): Promise<ConnectionState> {
  const { connectionId, timing } = input;
  const sync = syncActivities(timing.syncHeartbeatTimeoutMs);
  const state: ConnectionState = input.carried ?? { status: 'awaiting_authorisation' };
  let callback: PsuCallback | undefined;
  let revokeRequested = false;
  let reauthoriseRequested: { psuIpAddress?: string } | undefined;
  let cycles = 0;
  /** Counts finished starts of an authorisation (URL ready, or failed), so an update can wait for "its" round. */
  let authorisationRounds = 0;
  // Bank calls run one at a time: a sync-now, a timer and a revoke never overlap.
  let busy = false;
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    await condition(() => !busy);
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
    }
  };

  async function setStatus(status: ConnectionStatus, reason?: string): Promise<void> {
    if (state.status === status && state.statusReason === reason) return;
    state.status = status;
    state.statusReason = reason;
    upsertSearchAttributes([{ key: ConnectionStatusKey, value: status }]);
    await local.recordConnectionStatus({
      connectionId,
      status,
      reason,
      lastSyncAt: state.lastSyncAt,
      nextSyncAt: state.nextSyncAt,
    });
  }

  const expiryAt = () => (state.consent ? Date.parse(`${state.consent.validUntil}T00:00:00Z`) + DAY_MS : Infinity);
  const expiringSoonAt = () => expiryAt() - timing.expiringSoonWarningMs;
  const refreshAt = () =>
    state.consent?.tokenExpiresAt !== undefined ? state.consent.tokenExpiresAt - timing.tokenRefreshMarginMs : Infinity;
  const syncing = () => state.status === 'active' || state.status === 'expiring_soon';

  function scheduleNextSync(from: number): void {
    const perDay = state.consent?.frequencyPerDay ?? 4;
    const interval = timing.syncIntervalMs ?? Math.ceil(DAY_MS / perDay);
    // Jitter only ever adds, so the spacing never drops below the frequencyPerDay spacing.
    state.nextSyncAt = from + interval + Math.floor(Math.random() * timing.syncJitterMs);
  }

  /** Maps a failed bank call to the connection's status; returns true when syncing must stop. */
  async function onBankFailure(err: unknown): Promise<boolean> {
    const kind = failureKind(err);
    state.lastError = failureMessage(err);
    switch (kind) {
      case 'consent_expired':
        await setStatus('expired', state.lastError);
        return true;
      case 'consent_revoked':
        await setStatus('revoked', 'revoked by the PSU at the bank');
        return true;
      case 'consent_invalid':
      case 'grant_invalid':
      case 'token_invalid':
        await setStatus('reauth_required', state.lastError);
        return true;
      case 'access_exceeded': // the bank counted more than we did: the next regular cycle tries again
      case undefined:
      case 'rate_limited':
      case 'server':
      case 'timeout':
      case 'network':
      case 'malformed_response':
        // Retries were exhausted on a transient problem: keep the connection, try next cycle.
        if (kind === undefined && !(err instanceof ActivityFailure)) throw err;
        return false;
      default:
        await setStatus('failed', state.lastError);
        return true;
    }
  }

  async function runSync(reason: string, psuIpAddress?: string): Promise<SyncSummary | undefined> {
    try {
      const summary = await sync.syncConnection({ connectionId, reason, psuIpAddress });
      state.lastSyncAt = summary.finishedAt;
      state.lastError = undefined;
      if (summary.outcome === 'deferred' && summary.nextAllowedAt) state.nextSyncAt = summary.nextAllowedAt;
      else scheduleNextSync(Date.now());
      return summary;
    } catch (err) {
      if (!(await onBankFailure(err))) scheduleNextSync(Date.now());
      // Only an on-demand sync has a caller waiting for the answer.
      if (reason === 'on-demand')
        throw ApplicationFailure.create({ message: state.lastError ?? 'sync failed', nonRetryable: true });
      return undefined;
    }
  }

  /**
   * Creates a consent and waits for the PSU; ends active (first sync done) or in a dormant
   * status. A re-authorisation that does not complete leaves a still-valid consent working.
   */
  async function authorise(psuIpAddress: string | undefined): Promise<void> {
    const before = { status: state.status, reason: state.statusReason };
    const stillValid = () =>
      state.consent !== undefined &&
      Date.now() < expiryAt() &&
      (before.status === 'active' || before.status === 'expiring_soon');
    await authoriseOnce(psuIpAddress);
    if (DORMANT_STATUSES.includes(state.status) && stillValid()) {
      state.lastError = `re-authorisation ended ${state.status}: ${state.statusReason ?? ''}`.trim();
      await setStatus(before.status, before.reason);
    }
  }

  async function authoriseOnce(psuIpAddress: string | undefined): Promise<void> {
    callback = undefined;
    let created: Awaited<ReturnType<typeof bank.createConsent>>;
    try {
      created = await bank.createConsent({ connectionId, psuIpAddress });
    } catch (err) {
      authorisationRounds++;
      if (!(await onBankFailure(err))) await setStatus('failed', state.lastError);
      return;
    }
    state.authorisation = {
      id: created.authorisationId,
      url: created.authorisationUrl,
      expiresAt: Date.now() + timing.authorisationTimeoutMs,
    };
    const statusWritten = setStatus('awaiting_authorisation');
    authorisationRounds++;
    await statusWritten;

    const answered = await condition(
      () => (callback !== undefined && callback.authorisationId === created.authorisationId) || revokeRequested,
      timing.authorisationTimeoutMs,
    );
    if (revokeRequested) return;
    if (!answered || !callback) {
      await local.closeAuthorisation({ authorisationId: created.authorisationId, outcome: 'expired' });
      state.authorisation = undefined;
      await setStatus('authorisation_expired', 'the PSU did not return from the bank in time');
      return;
    }
    const answer: PsuCallback = callback;
    state.authorisation = undefined;
    if (answer.outcome !== 'approved') {
      await setStatus(
        answer.outcome === 'denied' ? 'rejected' : 'failed',
        answer.error ?? 'the PSU did not approve the consent',
      );
      return;
    }
    try {
      const completed = await bank.completeAuthorisation({ connectionId, authorisationId: created.authorisationId });
      if (completed.consentStatus !== 'valid') {
        await setStatus(
          completed.consentStatus === 'rejected' ? 'rejected' : 'failed',
          `consent is ${completed.consentStatus} after authorisation`,
        );
        return;
      }
      state.consent = {
        consentRowId: completed.consentRowId,
        validUntil: completed.validUntil,
        frequencyPerDay: completed.frequencyPerDay,
        tokenExpiresAt: completed.tokenExpiresAt,
      };
    } catch (err) {
      if (!(await onBankFailure(err))) await setStatus('failed', state.lastError);
      return;
    }
    await setStatus(Date.now() >= expiringSoonAt() ? 'expiring_soon' : 'active');
    // The PSU is at our callback right now: the first sync is attended and costs no daily access.
    await runSync('first', answer.psuIpAddress);
  }

  setHandler(statusQuery, () => ({ ...state, connectionId, customerId: input.customerId, aspspId: input.aspspId }));
  setHandler(psuCallbackSignal, (answer) => {
    if (state.authorisation?.id === answer.authorisationId) callback = answer;
  });
  setHandler(authorisationUrlUpdate, async () => {
    await condition(() => authorisationRounds > 0);
    return { authorisationUrl: state.authorisation?.url ?? '', status: state.status };
  });
  setHandler(syncNowUpdate, (request) => exclusive(async () => (await runSync('on-demand', request.psuIpAddress))!), {
    validator: (_request: SyncRequest) => {
      if (!syncing()) throw invalidState(`connection is ${state.status}; a sync needs an active consent`);
    },
  });
  setHandler(
    reauthoriseUpdate,
    async (request) => {
      const round = authorisationRounds;
      reauthoriseRequested = request;
      await condition(() => authorisationRounds > round);
      return { authorisationUrl: state.authorisation?.url ?? '', status: state.status };
    },
    {
      validator: (_request: { psuIpAddress?: string }) => {
        if (state.status === 'revoked') throw invalidState('connection is revoked; create a new one');
        if (state.authorisation) throw invalidState('an authorisation is already waiting for the PSU');
      },
    },
  );
  setHandler(
    revokeUpdate,
    async () => {
      revokeRequested = true;
      await condition(() => state.status === 'revoked');
      return { status: state.status };
    },
    {
      validator: () => {
        if (state.status === 'revoked') throw invalidState('connection is already revoked');
      },
    },
  );

  if (!input.carried) {
    upsertSearchAttributes([{ key: ConnectionStatusKey, value: state.status }]);
    await authorise(input.psuIpAddress);
  }

  while (state.status !== 'revoked') {
    if (revokeRequested) {
      await exclusive(async () => {
        await bank.revokeConsent({ connectionId });
        state.authorisation = undefined;
        await setStatus('revoked', 'revoked by us');
      });
      break;
    }
    if (reauthoriseRequested) {
      const request = reauthoriseRequested;
      await exclusive(async () => {
        reauthoriseRequested = undefined;
        await authorise(request.psuIpAddress ?? input.psuIpAddress);
      });
      continue;
    }
    if (cycles >= timing.maxCyclesPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(() => allHandlersFinished() && !busy);
      return await continueAsNew<typeof connectionWorkflow>({ ...input, carried: state });
    }

    if (DORMANT_STATUSES.includes(state.status) || state.status === 'awaiting_authorisation') {
      await condition(() => revokeRequested || reauthoriseRequested !== undefined);
      continue;
    }

    const now = Date.now();
    if (now >= expiryAt()) {
      await exclusive(() => setStatus('expired', `consent validUntil ${state.consent?.validUntil} has passed`));
      continue;
    }
    if (state.status === 'active' && now >= expiringSoonAt()) {
      await setStatus('expiring_soon', `consent expires ${state.consent?.validUntil}`);
    }
    if (now >= refreshAt()) {
      await exclusive(async () => {
        try {
          const refreshed = await bank.refreshTokens({ connectionId });
          if (state.consent) state.consent.tokenExpiresAt = refreshed.expiresAt;
        } catch (err) {
          await onBankFailure(err);
        }
      });
      continue;
    }
    state.nextSyncAt ??= now;
    if (now >= state.nextSyncAt) {
      cycles++;
      await exclusive(() => runSync('scheduled'));
      continue;
    }
    const wakeAt = Math.min(
      state.nextSyncAt,
      refreshAt(),
      expiryAt(),
      state.status === 'active' ? expiringSoonAt() : Infinity,
    );
    await condition(
      () => revokeRequested || reauthoriseRequested !== undefined || !syncing(),
      Math.max(1, wakeAt - now),
    );
  }

  await condition(allHandlersFinished);
  return state;
}
