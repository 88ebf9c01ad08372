import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BookkeepingActivities, ConsentActivities, SyncActivities } from '../../activities';
import { ConnectionStatusKey } from '../../temporal/search-attributes';
import { bankQueue } from '../bank-queue';
import {
  bankFailureKind,
  failureMessage,
  isBankFailure,
  isOurFault,
  type ConnectionState,
  type ConnectionStatus,
  type ConnectionWorkflowInput,
  type PsuCallback,
  type PsuOutcome,
  type ReauthoriseRequest,
  type SyncRequest,
  type SyncSummary,
} from './contract';
import {
  authorisationUrlUpdate,
  psuCallbackSignal,
  psuReturnedUpdate,
  reauthoriseUpdate,
  revokeUpdate,
  statusQuery,
  syncNowUpdate,
} from './messages';
import { ConnectionLifecycle } from './state';

/** Patch: each run reads the worker's timing (connectionTiming) instead of the timing frozen into its input. */
export const WORKER_OWNED_TIMING_PATCH = 'worker-owned-timing';
/** Patch: the full read model is written after every sync and failed refresh, not only on status changes. */
export const READ_MODEL_PATCH = 'connection-read-model';
/** Patch: a failure of ours (configuration, our certificate or signature) keeps the connection's status. */
export const OUR_FAULT_PATCH = 'our-fault-keeps-status';
/**
 * Patch: a PSU return that does not settle the authorisation (the consent still `received` at
 * the bank, the code refused) goes back to waiting for the PSU instead of failing the connection.
 */
export const UNSETTLED_RETURN_PATCH = 'psu-return-unsettled';
/**
 * Patch: at the authorisation deadline, a session the PSU did return through (the notice lost
 * while Temporal was away, and no reload) is finished with its recorded outcome, not expired.
 */
export const LOST_RETURN_PATCH = 'psu-return-lost';
/**
 * Patch: syncs (and every bank read) refresh the access token right before their reads; the
 * workflow wakes for tokens only before the refresh token would lapse, not before each access
 * token expires. A run of the previous release switches at its next live workflow task.
 */
export const REFRESH_ON_USE_PATCH = 'refresh-on-use';
/**
 * Patch: the next sync is drawn before a sync and the sync activity writes it to the read model
 * with lastSyncAt, so a successful sync needs no recordConnectionStatus after it (one activity a
 * cycle instead of two).
 */
export const SYNC_RECORDS_PATCH = 'sync-records-read-model';

// Activity groups, each with the timeouts it needs. All are regular activities (recorded
// histories schedule them as such). Names must never change: histories refer to them.
// The bank-calling groups take their task queue (workflows/bank-queue.ts) where they are scheduled.
const consentActivities = (queue: { taskQueue?: string }) =>
  proxyActivities<ConsentActivities>({
    startToCloseTimeout: '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6 },
    ...queue,
  });

const syncActivities = (heartbeatTimeoutMs: number, queue: { taskQueue?: string }) => {
  const { syncConnection } = proxyActivities<SyncActivities>({
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: heartbeatTimeoutMs,
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 6 },
    ...queue,
  });
  return { syncConnection };
};

const { recordConnectionStatus, closeAuthorisation, connectionTiming } = proxyActivities<BookkeepingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumAttempts: 10 },
});

/**
 * One connection's whole life: consent, the PSU's trip to the bank, tokens,
 * unattended syncs within frequencyPerDay, expiry, re-authorisation, revocation.
 * Runs until revoked; dormant states wait for a re-authorisation.
 */
export async function connectionWorkflow(input: ConnectionWorkflowInput): Promise<ConnectionState> {
  const { connectionId } = input;
  const m = new ConnectionLifecycle(input);
  const state = m.state;
  /** The consent activities on the bank's queue (or, in runs before the patch, the workflow's). */
  const consent = () => consentActivities(bankQueue(input.aspspId));
  /** Asked where token upkeep is decided: false while replaying a run of the previous release, true once live. */
  const refreshOnUse = () => (m.refreshOnUse ||= patched(REFRESH_ON_USE_PATCH));
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
  /** The last record written by this run or, after a sync, as that sync wrote it (an unchanged one is not written again). */
  let recorded: string | undefined;
  async function writeRecord(): Promise<void> {
    const record = m.record();
    recorded = JSON.stringify(record);
    await recordConnectionStatus(record);
  }

  async function setStatus(status: ConnectionStatus, reason?: string): Promise<void> {
    if (!m.applyStatus(status, reason)) return;
    upsertSearchAttributes([{ key: ConnectionStatusKey, value: status }]);
    await writeRecord();
  }

  /** Writes the read model when it changed; only in runs that know the patch (old histories did not). */
  async function recordState(): Promise<void> {
    if (!patched(READ_MODEL_PATCH)) return;
    if (JSON.stringify(m.record()) !== recorded) await writeRecord();
  }

  /** The effect of the last bank failure (an authorisation that failed on our side keeps its status). */
  let lastEffect: 'status' | 'transient' | 'ours' | undefined;
  /** Maps a failed bank call to the connection's status; returns true when syncing must stop. */
  async function onBankFailure(err: unknown): Promise<boolean> {
    // Asked only for failures of ours, so that histories without them replay unchanged.
    const effect = m.bankFailure(err, isOurFault(bankFailureKind(err)) && patched(OUR_FAULT_PATCH));
    lastEffect = effect.kind;
    // Ours: keep the status; the activity counted it (openbanking_our_fault_failures_total).
    if (effect.kind === 'ours') return false;
    if (effect.kind === 'status') {
      await setStatus(effect.status, effect.reason);
      return true;
    }
    // Retries were exhausted on a transient problem: keep the connection, try next cycle.
    // Anything that is not an activity's failure is a bug in this workflow: fail the task.
    if (!isBankFailure(err) && !(err instanceof ActivityFailure)) throw err;
    return false;
  }

  /** The PSU's presence: an address (runs of the previous release) or a flag, the address in the database. */
  interface PsuPresence {
    psuIpAddress?: string;
    psuPresent?: boolean;
    authorisationId?: string;
  }

  async function runSync(reason: string, psu: PsuPresence = {}): Promise<SyncSummary | undefined> {
    const sync = syncActivities(m.requireTiming().syncHeartbeatTimeoutMs ?? 60_000, bankQueue(input.aspspId));
    const nextSyncAt = patched(SYNC_RECORDS_PATCH) ? m.nextSyncFrom(Date.now(), Math.random) : undefined;
    const before = m.record();
    const upToDate = JSON.stringify(before) === recorded;
    try {
      const summary = await sync.syncConnection({
        connectionId,
        reason,
        ...psu,
        ...(nextSyncAt ? { nextSyncAt } : {}),
      });
      if (refreshOnUse()) m.tokensReported(summary);
      state.lastSyncAt = summary.finishedAt;
      state.lastError = undefined;
      if (summary.outcome === 'deferred' && summary.nextAllowedAt) state.nextSyncAt = summary.nextAllowedAt;
      else if (nextSyncAt) state.nextSyncAt = nextSyncAt;
      else m.scheduleNextSync(Date.now(), Math.random);
      // The sync wrote lastSyncAt, nextSyncAt and the cleared lastError itself: nothing else to write.
      if (nextSyncAt && upToDate && summary.outcome === 'ok') {
        const written = JSON.stringify({ ...before, lastError: undefined, lastSyncAt: state.lastSyncAt, nextSyncAt });
        if (written === JSON.stringify(m.record())) recorded = written;
      }
      await recordState();
      return summary;
    } catch (err) {
      if (!(await onBankFailure(err))) m.scheduleNextSync(Date.now(), Math.random);
      await recordState();
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
      Date.now() < m.expiryAt() &&
      (before.status === 'active' || before.status === 'expiring_soon');
    await authoriseOnce(psuIpAddress);
    if (m.dormant() && stillValid()) {
      state.lastError = `re-authorisation ended ${state.status}: ${state.statusReason ?? ''}`.trim();
      await setStatus(before.status, before.reason);
    }
  }

  async function authoriseOnce(psuIpAddress: string | undefined): Promise<void> {
    const timing = m.requireTiming();
    const before = state.status;
    m.callback = undefined;
    let created: Awaited<ReturnType<ConsentActivities['createConsent']>>;
    try {
      created = await consent().createConsent({ connectionId, psuIpAddress });
    } catch (err) {
      m.authorisationRounds++;
      // Ours: the status stays (lastError says why); a re-authorisation works once the configuration is fixed.
      if (!(await onBankFailure(err)) && lastEffect !== 'ours') await setStatus('failed', state.lastError);
      else await recordState();
      return;
    }
    const authorisationId = created.authorisationId;
    state.authorisation = {
      id: authorisationId,
      // Only results recorded by the previous release carry the URL.
      url: created.authorisationUrl ?? '',
      expiresAt: Date.now() + timing.authorisationTimeoutMs,
    };
    const statusWritten = setStatus('awaiting_authorisation');
    m.authorisationRounds++;
    await statusWritten;

    const settle = (outcome: PsuOutcome) => m.settle(authorisationId, outcome);
    let waitMs = timing.authorisationTimeoutMs;
    for (;;) {
      const answered = await condition(
        () =>
          (m.callback !== undefined && m.callback.authorisationId === authorisationId) ||
          m.revokeRequested ||
          // Only reachable after a refused code (psu-return-unsettled): replaced by a new authorisation.
          (m.reauthoriseRequested !== undefined && m.authorisationSpoilt()),
        waitMs,
      );
      if (m.revokeRequested) return;
      if (m.reauthoriseRequested !== undefined && m.authorisationSpoilt() && m.callback === undefined) {
        await closeAuthorisation({ authorisationId, outcome: 'expired' });
        state.authorisation = undefined;
        return;
      }
      if (!answered || !m.callback) {
        const closed = await closeAuthorisation({ authorisationId, outcome: 'expired' });
        if (closed?.recorded && patched(LOST_RETURN_PATCH)) {
          m.callback = { authorisationId, outcome: closed.recorded, ...(closed.error ? { error: closed.error } : {}) };
          waitMs = 1;
          continue;
        }
        state.authorisation = undefined;
        settle('error');
        await setStatus('authorisation_expired', 'the PSU did not return from the bank in time');
        return;
      }
      const answer: PsuCallback = m.callback;
      /** This return did not settle the authorisation: wait for the PSU's real one (until the deadline). */
      const keepWaiting = (outcome: PsuOutcome) => {
        if (m.callback === answer) m.callback = undefined;
        settle(outcome);
        waitMs = Math.max(1, (state.authorisation?.expiresAt ?? 0) - Date.now());
      };
      if (answer.outcome !== 'approved') {
        state.authorisation = undefined;
        settle(answer.outcome === 'denied' ? 'denied' : 'error');
        await setStatus(
          answer.outcome === 'denied' ? 'rejected' : 'failed',
          answer.error ?? 'the PSU did not approve the consent',
        );
        return;
      }
      let completed: Awaited<ReturnType<ConsentActivities['completeAuthorisation']>>;
      try {
        completed = await consent().completeAuthorisation({ connectionId, authorisationId });
      } catch (err) {
        // A refused code (another session's, spent, expired) is not this PSU's answer.
        if (bankFailureKind(err) === 'grant_invalid' && patched(UNSETTLED_RETURN_PATCH)) {
          state.lastError = failureMessage(err);
          keepWaiting('error');
          await recordState();
          continue;
        }
        state.authorisation = undefined;
        settle('error');
        if (!(await onBankFailure(err)) && lastEffect !== 'ours') await setStatus('failed', state.lastError);
        else if (lastEffect === 'ours') await setStatus(before, 'the PSU approved; completing failed on our side');
        return;
      }
      // The PSU came back before deciding: the bank still has the consent as received.
      if (completed.consentStatus === 'received' && patched(UNSETTLED_RETURN_PATCH)) {
        keepWaiting('pending');
        continue;
      }
      if (completed.consentStatus !== 'valid') {
        state.authorisation = undefined;
        settle(completed.consentStatus === 'rejected' ? 'denied' : 'error');
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
        ...(completed.refreshTokenExpiresAt !== undefined
          ? { refreshTokenExpiresAt: completed.refreshTokenExpiresAt }
          : {}),
      };
      // The read model says active before the PSU is told approved (and sent to the product).
      await setStatus(m.authorisedStatus(Date.now()));
      state.authorisation = undefined;
      settle('approved');
      // The PSU is at our callback right now: the first sync is attended and costs no daily access.
      // Its address is in the SCA session row (signals of the previous release carried it).
      await runSync(
        'first',
        answer.psuIpAddress !== undefined
          ? { psuIpAddress: answer.psuIpAddress }
          : { psuPresent: true, authorisationId },
      );
      return;
    }
  }

  setHandler(statusQuery, () => m.view());
  setHandler(psuCallbackSignal, (answer) => m.onPsuCallback(answer));
  setHandler(psuReturnedUpdate, async (answer) => {
    const seq = m.verdictSeq;
    m.onPsuCallback(answer);
    // Waiting on this authorisation: answer once this (or a concurrent) return of it is settled.
    await condition(() => m.verdictSeq > seq || state.authorisation?.id !== answer.authorisationId);
    return { outcome: m.outcomeFor(answer.authorisationId), status: state.status };
  });
  const authorisationResult = () => ({
    authorisationUrl: state.authorisation?.url ?? '',
    ...(state.authorisation ? { authorisationId: state.authorisation.id } : {}),
    status: state.status,
  });
  setHandler(authorisationUrlUpdate, async () => {
    await condition(() => m.authorisationRounds > 0);
    return authorisationResult();
  });
  setHandler(
    syncNowUpdate,
    (request) =>
      exclusive(
        async () =>
          (await runSync('on-demand', { psuIpAddress: request.psuIpAddress, psuPresent: request.psuPresent }))!,
      ),
    {
      validator: (_request: SyncRequest) => m.validateSyncNow(),
    },
  );
  setHandler(
    reauthoriseUpdate,
    async (request) => {
      const round = m.authorisationRounds;
      m.reauthoriseRequested = request;
      await condition(() => m.authorisationRounds > round);
      return authorisationResult();
    },
    { validator: (_request: ReauthoriseRequest) => m.validateReauthorise() },
  );
  setHandler(
    revokeUpdate,
    async () => {
      m.revokeRequested = true;
      await condition(() => state.status === 'revoked');
      return { status: state.status };
    },
    { validator: () => m.validateRevoke() },
  );

  // The worker's timing, read at the start of every run. Runs recorded before the patch use their input's.
  const workerOwnedTiming = patched(WORKER_OWNED_TIMING_PATCH);
  if (workerOwnedTiming) {
    await exclusive(async () => {
      m.timing = await connectionTiming();
    });
  } else {
    if (!input.timing) throw new Error('a run without the worker-owned-timing patch needs timing in its input');
    m.timing = input.timing;
  }
  const timing = m.requireTiming();
  refreshOnUse();

  if (!input.carried) {
    upsertSearchAttributes([{ key: ConnectionStatusKey, value: state.status }]);
    await authorise(input.psuIpAddress);
  }

  while (state.status !== 'revoked') {
    if (m.revokeRequested) {
      await exclusive(async () => {
        await consent().revokeConsent({ connectionId });
        state.authorisation = undefined;
        await setStatus('revoked', 'revoked by us');
      });
      break;
    }
    if (m.reauthoriseRequested) {
      const request = m.reauthoriseRequested;
      await exclusive(async () => {
        m.reauthoriseRequested = undefined;
        await authorise(request.psuIpAddress ?? input.psuIpAddress);
      });
      continue;
    }
    if (m.cycles >= timing.maxCyclesPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(() => allHandlersFinished() && !busy);
      // The next run reads the worker's timing again; only runs of the previous release carry theirs.
      const { timing: inputTiming, ...rest } = input;
      const next: ConnectionWorkflowInput = workerOwnedTiming
        ? { ...rest, carried: state }
        : { ...rest, timing: inputTiming, carried: state };
      return await continueAsNew<typeof connectionWorkflow>(next);
    }

    if (m.dormant() || state.status === 'awaiting_authorisation') {
      await condition(() => m.revokeRequested || m.reauthoriseRequested !== undefined);
      continue;
    }

    const now = Date.now();
    refreshOnUse();
    if (now >= m.expiryAt()) {
      await exclusive(() => setStatus('expired', `consent validUntil ${state.consent?.validUntil} has passed`));
      continue;
    }
    if (state.status === 'active' && now >= m.expiringSoonAt()) {
      await setStatus('expiring_soon', `consent expires ${state.consent?.validUntil}`);
    }
    if (now >= m.refreshAt()) {
      await exclusive(async () => {
        try {
          const refreshed = await consent().refreshTokens({ connectionId });
          m.refreshRetryAt = undefined;
          if (state.consent) state.consent.tokenExpiresAt = refreshed.expiresAt;
          if (refreshOnUse()) {
            m.tokensReported(refreshed);
            // A refresh token that is due again at once (shorter-lived than the margin) waits for the syncs.
            if (m.refreshAt() <= Date.now()) m.deferRefresh(Date.now());
          }
        } catch (err) {
          await onBankFailure(err);
          if (lastEffect === 'ours') m.deferRefresh(Date.now());
          await recordState();
        }
      });
      continue;
    }
    state.nextSyncAt ??= now;
    if (now >= state.nextSyncAt) {
      m.cycles++;
      await exclusive(() => runSync('scheduled'));
      continue;
    }
    await condition(
      () => m.revokeRequested || m.reauthoriseRequested !== undefined || !m.syncing(),
      Math.max(1, m.wakeAt() - now),
    );
  }

  await condition(allHandlersFinished);
  return state;
}
