/**
 * The connection workflow's lifecycle on Temporal's time-skipping test server: the real workflow
 * code with stubbed activities driven by the server's (skipped) clock, so days of expiry, token
 * refresh and continue-as-new take seconds. The test server is the Java one, installed with Maven
 * by scripts/temporal-test-server.sh (the SDK's download is never used).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { BookkeepingActivities, ConsentActivities, SyncActivities } from '../../activities';
import { forwardTemporalLogs } from '../../logging/temporal-runtime';
import { bankTaskQueue } from '../../temporal/bank-task-queues';
import { SEARCH_ATTRIBUTE_KEYS } from '../../temporal/search-attributes';
import { resolveTemporalTestServer } from '../../temporal/test-server';
import {
  bankFailureType,
  workflowIdFor,
  type BankFailureKind,
  type ConnectionRecord,
  type ConnectionStatus,
  type ConnectionTiming,
  type ConnectionView,
} from '../../workflows/connection/contract';
import {
  authorisationUrlUpdate,
  psuCallbackSignal,
  psuReturnedUpdate,
  reauthoriseUpdate,
  revokeUpdate,
  statusQuery,
  syncNowUpdate,
} from '../../workflows/connection/messages';
import type { connectionWorkflow } from '../../workflows/connection/workflow';
import type { ConsentStatus } from '../../xs2a/operations/types';
import { testLogger } from '../helpers/logger';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const BASE_TIMING: ConnectionTiming = {
  authorisationTimeoutMs: 15 * MINUTE,
  expiringSoonWarningMs: 2 * DAY,
  tokenRefreshMarginMs: 5 * MINUTE,
  syncIntervalMs: 12 * HOUR,
  syncJitterMs: 0,
  maxCyclesPerRun: 1000,
};

/** One connection's fake bank: what the stubbed activities answer, and what they were asked. */
interface FakeBank {
  timing: ConnectionTiming;
  /** Days a consent is valid from its authorisation (validUntil is the last valid day). */
  validDays: number;
  /** OAuth banks: lifetime of each PSU access token. */
  tokenLifetimeMs?: number;
  /** OAuth banks: lifetime of each refresh token, as the token response says. */
  refreshTokenLifetimeMs?: number;
  /** A refresh after the refresh token lapsed is refused (grant_invalid), as a real bank does. */
  enforceRefreshLapse?: boolean;
  refuseRefresh?: boolean;
  /** The PSU's tokens at the fake bank (OAuth banks). */
  tokens?: { expiresAt: number; refreshExpiresAt?: number };
  /** Refreshes done by syncs (refresh on use), with when. */
  refreshedOnUse?: number[];
  /** The next syncs fail with this (permanently: no retries in the test). */
  syncFailure?: { kind: BankFailureKind; message: string };
  /** The next consent creations, completions and refreshes fail with this (no retries in the test). */
  createFailure?: { kind: BankFailureKind; message: string };
  completeFailure?: { kind: BankFailureKind; message: string };
  refreshFailure?: { kind: BankFailureKind; message: string };
  /** The next completeAuthorisation answers, in order (then valid): e.g. received when the PSU came back early. */
  consentStatuses?: ConsentStatus[];
  /** The next completeAuthorisation calls fail with grant_invalid (the bank refused the code). */
  refuseCodes?: number;
  /** The next closeAuthorisation finds the session decided (the PSU came back, its notice was lost). */
  recordedOnClose?: 'approved' | 'denied' | 'error';
  /** createConsent answers ids only, as this release's activity does (the URL stays in the session row). */
  idsOnly?: boolean;
  calls: string[];
  records: ConnectionRecord[];
  closed: string[];
  syncInputs?: Parameters<SyncActivities['syncConnection']>[0][];
}

const banks = new Map<string, FakeBank>();

/** The bank of the workflow that runs the current activity, and the server's (skipped) clock. */
function current(): { bank: FakeBank; now: number } {
  const info = Context.current().info;
  const connectionId = (info.workflowExecution?.workflowId ?? '').replace(/^connection:/, '');
  const bank = banks.get(connectionId);
  if (!bank) throw new Error(`no fake bank for ${connectionId}`);
  bank.calls.push(info.activityType);
  return { bank, now: info.currentAttemptScheduledTimestampMs };
}

const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const authorisationNumber = (authorisationId: string) => Number(authorisationId.split('_')[1]);

/** New PSU tokens at the fake bank: what completeAuthorisation, refreshTokens and syncs report. */
function issueTokens(bank: FakeBank, now: number) {
  bank.tokens = {
    expiresAt: now + bank.tokenLifetimeMs!,
    ...(bank.refreshTokenLifetimeMs !== undefined ? { refreshExpiresAt: now + bank.refreshTokenLifetimeMs } : {}),
  };
  return {
    tokenExpiresAt: bank.tokens.expiresAt,
    ...(bank.tokens.refreshExpiresAt !== undefined ? { refreshTokenExpiresAt: bank.tokens.refreshExpiresAt } : {}),
  };
}

/** A refresh at the fake bank: refused when configured so, or when the refresh token has lapsed. */
function refresh(bank: FakeBank, now: number) {
  const lapsed = bank.enforceRefreshLapse && (bank.tokens?.refreshExpiresAt ?? Infinity) <= now;
  if (bank.refuseRefresh || lapsed)
    throw ApplicationFailure.create({
      type: bankFailureType('grant_invalid'),
      message: lapsed ? 'the refresh token has expired' : 'the bank refused the refresh token',
      nonRetryable: true,
    });
  return issueTokens(bank, now);
}

function fail(failure: { kind: BankFailureKind; message: string }): never {
  throw ApplicationFailure.create({
    type: bankFailureType(failure.kind),
    message: failure.message,
    nonRetryable: true,
  });
}

const activities: ConsentActivities & SyncActivities & BookkeepingActivities = {
  async createConsent() {
    const { bank } = current();
    if (bank.createFailure) fail(bank.createFailure);
    const n = bank.calls.filter((c) => c === 'createConsent').length;
    if (bank.idsOnly) return { authorisationId: `auth_${n}`, consentRowId: `cns_${n}` };
    return {
      authorisationId: `auth_${n}`,
      authorisationUrl: `https://bank.example/authorise/${n}`,
      consentRowId: `cns_${n}`,
    };
  },
  async completeAuthorisation({ authorisationId }) {
    const { bank, now } = current();
    if (bank.completeFailure) fail(bank.completeFailure);
    const n = authorisationNumber(authorisationId);
    if (bank.refuseCodes) {
      bank.refuseCodes--;
      throw ApplicationFailure.create({
        type: bankFailureType('grant_invalid'),
        message: 'PKCE verification failed: code_verifier does not match code_challenge',
        nonRetryable: true,
      });
    }
    return {
      consentRowId: `cns_${n}`,
      consentStatus: bank.consentStatuses?.shift() ?? 'valid',
      validUntil: isoDate(now + (bank.validDays - 1) * DAY),
      frequencyPerDay: 4,
      ...(bank.tokenLifetimeMs === undefined ? { tokenExpiresAt: undefined } : issueTokens(bank, now)),
    };
  },
  async refreshTokens() {
    const { bank, now } = current();
    if (bank.refreshFailure) fail(bank.refreshFailure);
    const { tokenExpiresAt, ...rest } = refresh(bank, now);
    return { expiresAt: tokenExpiresAt, ...rest };
  },
  async revokeConsent() {
    current();
  },
  async syncConnection(input) {
    const { reason } = input;
    const { bank, now } = current();
    (bank.syncInputs ??= []).push(input);
    if (bank.syncFailure)
      throw ApplicationFailure.create({
        type: bankFailureType(bank.syncFailure.kind),
        message: bank.syncFailure.message,
        nonRetryable: true,
      });
    // As the activity does: an expired (or nearly expired) access token is refreshed right before the reads.
    let tokens = bank.tokens && {
      tokenExpiresAt: bank.tokens.expiresAt,
      ...(bank.tokens.refreshExpiresAt !== undefined ? { refreshTokenExpiresAt: bank.tokens.refreshExpiresAt } : {}),
    };
    if (bank.tokens && bank.tokens.expiresAt - bank.timing.tokenRefreshMarginMs <= now) {
      tokens = refresh(bank, now);
      (bank.refreshedOnUse ??= []).push(now);
    }
    // As the activity does: the read model gets lastSyncAt and the workflow's next sync with the data.
    if (input.nextSyncAt !== undefined) {
      const last = bank.records[bank.records.length - 1];
      if (last) bank.records.push({ ...last, lastError: undefined, lastSyncAt: now, nextSyncAt: input.nextSyncAt });
    }
    return {
      ...tokens,
      syncRunId: `${reason}-${bank.calls.length}`,
      outcome: 'ok',
      accounts: 1,
      transactionsUpserted: 0,
      transactionsRemoved: 0,
      bankCalls: 2,
      finishedAt: now,
    };
  },
  async recordConnectionStatus(record) {
    current().bank.records.push(record);
  },
  async closeAuthorisation({ authorisationId }) {
    const { bank } = current();
    bank.closed.push(authorisationId);
    // The session the PSU returned through while its notice was lost: answered, not closed.
    const recorded = bank.recordedOnClose;
    bank.recordedOnClose = undefined;
    return recorded ? { recorded } : undefined;
  },
  async connectionTiming() {
    return { ...current().bank.timing };
  },
};

let env: TestWorkflowEnvironment;
let worker: Worker;
let bankWorker: Worker;
let running: Promise<unknown>;
const taskQueue = `wf-test-${randomUUID()}`;

beforeAll(async () => {
  forwardTemporalLogs(testLogger());
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: resolveTemporalTestServer() } },
  });
  // The workflow upserts ConnectionStatus: the test server, like a real namespace, must know it.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities,
  });
  // The bank's calls run on its own task queue (patch bank-task-queues), served by the same stubs.
  bankWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: bankTaskQueue(taskQueue, 'bec'),
    activities,
  });
  running = Promise.all([worker.run(), bankWorker.run()]);
});

afterAll(async () => {
  for (const w of [worker, bankWorker]) if (w?.getState() === 'RUNNING') w.shutdown();
  await running;
  await env?.teardown();
});

type Handle = WorkflowHandle<typeof connectionWorkflow>;

async function start(bank: Partial<FakeBank> = {}): Promise<{ handle: Handle; bank: FakeBank; url: string }> {
  const connectionId = `con_${randomUUID()}`;
  const fake: FakeBank = { timing: BASE_TIMING, validDays: 90, calls: [], records: [], closed: [], ...bank };
  banks.set(connectionId, fake);
  const handle = await env.client.workflow.start('connectionWorkflow', {
    workflowId: workflowIdFor(connectionId),
    taskQueue,
    args: [{ connectionId, customerId: 'cus_1', aspspId: 'bec', psuIpAddress: '192.0.2.1' }],
  });
  const { authorisationUrl } = await handle.executeUpdate(authorisationUrlUpdate);
  return { handle: handle as Handle, bank: fake, url: authorisationUrl };
}

/** Polls the workflow (in real time, no skipping) until the view matches. */
async function until(handle: Handle, what: string, test: (view: ConnectionView) => boolean): Promise<ConnectionView> {
  const deadline = Date.now() + 10_000;
  let view = await handle.query(statusQuery);
  while (!test(view)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; view: ${JSON.stringify(view)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    view = await handle.query(statusQuery);
  }
  return view;
}

const status = (handle: Handle, s: ConnectionStatus) => until(handle, s, (v) => v.status === s);

async function approved(bank: Partial<FakeBank> = {}) {
  const started = await start(bank);
  await started.handle.signal(psuCallbackSignal, {
    authorisationId: 'auth_1',
    outcome: 'approved',
    psuIpAddress: '192.0.2.1',
  });
  await until(started.handle, 'active and synced', (v) => v.status === 'active' && v.lastSyncAt !== undefined);
  return started;
}

/**
 * Ends a test's workflow the way a customer would: revoke, then its result. (Terminating it
 * instead can leave the test server's time-skipping lock held by a workflow task in flight,
 * and a later test's sleep then never returns.)
 */
async function finish(handle: Handle): Promise<void> {
  expect(await handle.executeUpdate(revokeUpdate)).toEqual({ status: 'revoked' });
  expect((await handle.result()).status).toBe('revoked');
}

const count = (bank: FakeBank, activity: string) => bank.calls.filter((c) => c === activity).length;

async function historyEvents(handle: Handle) {
  return (await handle.fetchHistory()).events ?? [];
}

/** An event's time on the server's (skipped) clock. */
const millis = (event: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) =>
  Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
const lastRecord = (bank: FakeBank) => bank.records[bank.records.length - 1];

describe('connection workflow on the time-skipping test server', () => {
  it('reads the worker timing, authorises, syncs and writes the whole read model', async () => {
    const { handle, bank, url } = await approved();
    expect(url).toBe('https://bank.example/authorise/1');
    // awaiting_authorisation is the status createConnection stored: no write until it changes.
    expect(bank.calls.slice(0, 4)).toEqual([
      'connectionTiming',
      'createConsent',
      'completeAuthorisation',
      'recordConnectionStatus',
    ]);
    const view = await handle.query(statusQuery);
    expect(view.consent?.consentRowId).toBe('cns_1');
    // The first sync's outcome reaches the read model, not only status changes.
    await until(handle, 'recorded', () => lastRecord(bank)?.lastSyncAt !== undefined);
    expect(lastRecord(bank)).toMatchObject({
      status: 'active',
      lastSyncAt: view.lastSyncAt,
      nextSyncAt: view.nextSyncAt,
    });
    await finish(handle);
  });

  it('goes expiring_soon before validUntil and expired after it, then stops syncing', async () => {
    const { handle, bank } = await approved({ validDays: 5 });
    await env.sleep(DAY);
    expect((await handle.query(statusQuery)).status).toBe('active');
    await env.sleep(2.1 * DAY);
    await status(handle, 'expiring_soon');
    await env.sleep(2 * DAY);
    const view = await status(handle, 'expired');
    expect(view.statusReason).toMatch(/validUntil .* has passed/);
    expect(bank.records.map((r) => r.status)).toEqual(expect.arrayContaining(['expiring_soon', 'expired']));
    const syncs = count(bank, 'syncConnection');
    expect(syncs).toBeGreaterThanOrEqual(6);
    await env.sleep(2 * DAY);
    expect(count(bank, 'syncConnection')).toBe(syncs);
    await finish(handle);
  });

  it('does not wake for access tokens between syncs: each sync refreshes the expired token before its reads', async () => {
    const { handle, bank } = await approved({ tokenLifetimeMs: HOUR, refreshTokenLifetimeMs: 90 * DAY });
    await until(handle, 'recorded', () => lastRecord(bank)?.lastSyncAt !== undefined);
    const since = await env.currentTimeMs();
    const recordsBefore = count(bank, 'recordConnectionStatus');
    await env.sleep(2 * DAY + HOUR);
    await until(handle, 'four more syncs', () => count(bank, 'syncConnection') >= 5);
    // Each cycle is one timer and one activity: the sync writes the read model itself.
    expect(count(bank, 'recordConnectionStatus')).toBe(recordsBefore);
    const view0 = await handle.query(statusQuery);
    expect(lastRecord(bank)).toMatchObject({ lastSyncAt: view0.lastSyncAt, nextSyncAt: view0.nextSyncAt });
    // An hour's token, syncs 12 h apart: 48 expiries, no refresh of the workflow's own.
    expect(count(bank, 'refreshTokens')).toBe(0);
    expect(bank.refreshedOnUse?.length).toBe(4);
    const timers = (await historyEvents(handle)).filter((e) => e.timerStartedEventAttributes && millis(e) >= since);
    // One timer per sync (the one running when the first sync ended, four fired, the next pending).
    expect(timers.length).toBeLessThanOrEqual(6);
    const view = await handle.query(statusQuery);
    expect(view.status).toBe('active');
    // What the last sync left: the workflow follows it for its refresh-token upkeep.
    expect(view.consent).toMatchObject({
      tokenExpiresAt: bank.tokens!.expiresAt,
      refreshTokenExpiresAt: bank.tokens!.refreshExpiresAt,
    });
    await finish(handle);
  });

  it('wakes before the refresh token lapses when syncs are further apart than its lifetime', async () => {
    // Syncs 12 h apart, refresh tokens of 8 h: without upkeep the next sync would find it lapsed.
    const { handle, bank } = await approved({
      tokenLifetimeMs: HOUR,
      refreshTokenLifetimeMs: 8 * HOUR,
      enforceRefreshLapse: true,
    });
    await env.sleep(8 * HOUR);
    await until(handle, 'an upkeep refresh', () => count(bank, 'refreshTokens') === 1);
    await env.sleep(2 * DAY);
    await until(handle, 'four more syncs', () => count(bank, 'syncConnection') >= 5);
    const view = await handle.query(statusQuery);
    expect(view.status).toBe('active');
    expect(view.lastError).toBeUndefined();
    // At most one upkeep per sync interval (each sync rotates the refresh token too).
    expect(count(bank, 'refreshTokens')).toBeGreaterThanOrEqual(3);
    expect(count(bank, 'refreshTokens')).toBeLessThanOrEqual(5);
    await finish(handle);
  });

  it('a refresh token shorter-lived than the refresh margin is kept up at the sync cadence, not in a loop', async () => {
    const { handle, bank } = await approved({ tokenLifetimeMs: DAY, refreshTokenLifetimeMs: 2 * MINUTE });
    await env.sleep(11 * HOUR);
    await until(handle, 'an upkeep refresh', () => count(bank, 'refreshTokens') >= 1);
    expect(count(bank, 'refreshTokens')).toBe(1);
    expect((await handle.query(statusQuery)).status).toBe('active');
    await finish(handle);
  });

  it('a refresh the bank refuses during a sync moves the connection to reauth_required', async () => {
    const { handle, bank } = await approved({ tokenLifetimeMs: HOUR, refreshTokenLifetimeMs: 90 * DAY });
    bank.refuseRefresh = true;
    await env.sleep(13 * HOUR);
    const view = await status(handle, 'reauth_required');
    expect(view.statusReason).toBe('the bank refused the refresh token');
    expect(count(bank, 'refreshTokens')).toBe(0);
    expect(lastRecord(bank)).toMatchObject({
      status: 'reauth_required',
      lastError: 'the bank refused the refresh token',
    });
    await finish(handle);
  });

  it('a refused upkeep refresh moves the connection to reauth_required with the reason in the read model', async () => {
    const { handle, bank } = await approved({
      tokenLifetimeMs: DAY,
      refreshTokenLifetimeMs: 6 * HOUR,
      refuseRefresh: true,
    });
    await env.sleep(6 * HOUR);
    const view = await status(handle, 'reauth_required');
    expect(view.statusReason).toBe('the bank refused the refresh token');
    expect(count(bank, 'refreshTokens')).toBe(1);
    expect(lastRecord(bank)).toMatchObject({
      status: 'reauth_required',
      lastError: 'the bank refused the refresh token',
    });
    await finish(handle);
  });

  it('a failed sync is in the read model as lastError, and the next good sync clears it', async () => {
    const { handle, bank } = await approved();
    bank.syncFailure = { kind: 'server', message: 'the bank answered 503' };
    await expect(handle.executeUpdate(syncNowUpdate, { args: [{}] })).rejects.toThrow();
    await until(handle, 'the error recorded', () => lastRecord(bank)?.lastError === 'the bank answered 503');
    expect(lastRecord(bank).status).toBe('active');
    bank.syncFailure = undefined;
    await env.sleep(13 * HOUR);
    await until(handle, 'the error cleared', () => lastRecord(bank)?.lastError === undefined);
    expect((await handle.query(statusQuery)).status).toBe('active');
    await finish(handle);
  });

  it('an early re-authorisation the PSU approves moves the connection to the new consent', async () => {
    const { handle, bank } = await approved();
    const result = await handle.executeUpdate(reauthoriseUpdate, { args: [{}] });
    expect(result).toEqual({
      authorisationUrl: 'https://bank.example/authorise/2',
      authorisationId: 'auth_2',
      status: 'awaiting_authorisation',
    });
    await handle.signal(psuCallbackSignal, { authorisationId: 'auth_2', outcome: 'approved' });
    const view = await until(
      handle,
      'the new consent',
      (v) => v.status === 'active' && v.consent?.consentRowId === 'cns_2',
    );
    expect(view.lastError).toBeUndefined();
    expect(count(bank, 'createConsent')).toBe(2);
    await finish(handle);
  });

  it('an early re-authorisation the PSU denies leaves the old consent working', async () => {
    const { handle, bank } = await approved();
    await handle.executeUpdate(reauthoriseUpdate, { args: [{}] });
    await handle.signal(psuCallbackSignal, { authorisationId: 'auth_2', outcome: 'denied', error: 'access_denied' });
    const view = await until(handle, 'back to active', (v) => v.status === 'active' && v.lastError !== undefined);
    expect(view.consent?.consentRowId).toBe('cns_1');
    expect(view.lastError).toMatch(/re-authorisation ended rejected/);
    expect(lastRecord(bank)).toMatchObject({ status: 'active', lastError: view.lastError });
    const syncs = count(bank, 'syncConnection');
    await env.sleep(13 * HOUR);
    await until(handle, 'a sync on the old consent', () => count(bank, 'syncConnection') > syncs);
    await finish(handle);
  });

  it('an early re-authorisation the PSU abandons times out and leaves the old consent working', async () => {
    const { handle, bank } = await approved();
    await handle.executeUpdate(reauthoriseUpdate, { args: [{}] });
    await env.sleep(BASE_TIMING.authorisationTimeoutMs + MINUTE);
    const view = await until(handle, 'back to active', (v) => v.status === 'active' && v.authorisation === undefined);
    expect(bank.closed).toEqual(['auth_2']);
    expect(view.consent?.consentRowId).toBe('cns_1');
    expect(view.lastError).toMatch(/re-authorisation ended authorisation_expired/);
    await finish(handle);
  });

  it('continues as new after maxCyclesPerRun, and the next run reads the worker timing again', async () => {
    const { handle, bank } = await approved({ timing: { ...BASE_TIMING, maxCyclesPerRun: 3, syncIntervalMs: HOUR } });
    const firstRun = (await handle.describe()).runId;
    // The worker's configuration changes while the connection runs: the next run must use it.
    bank.timing = { ...bank.timing, syncIntervalMs: 2 * HOUR };
    await env.sleep(4 * HOUR);
    await until(handle, 'a second run', () => count(bank, 'connectionTiming') >= 2);
    expect((await handle.describe()).runId).not.toBe(firstRun);
    const view = await handle.query(statusQuery);
    expect(view.status).toBe('active');
    expect(view.consent?.consentRowId).toBe('cns_1');
    const syncs = count(bank, 'syncConnection');
    await env.sleep(2.5 * HOUR);
    const after = await until(
      handle,
      'a sync in the new run',
      (v) => count(bank, 'syncConnection') > syncs && v.nextSyncAt! > v.lastSyncAt!,
    );
    // Counted from the sync's start (drawn before it, so the sync can record it): lastSyncAt is its end.
    expect(after.nextSyncAt! - after.lastSyncAt!).toBeGreaterThanOrEqual(2 * HOUR - MINUTE);
    expect(after.nextSyncAt! - after.lastSyncAt!).toBeLessThan(2 * HOUR + MINUTE);
    await finish(handle);
  });

  it('a PSU back before deciding (consent still received) keeps waiting, is told pending, and the real return activates', async () => {
    const { handle, bank } = await start({ consentStatuses: ['received'], idsOnly: true });
    const early = await handle.executeUpdate(psuReturnedUpdate, {
      args: [{ authorisationId: 'auth_1', outcome: 'approved' }],
    });
    expect(early).toEqual({ outcome: 'pending', status: 'awaiting_authorisation' });
    const waiting = await handle.query(statusQuery);
    expect(waiting.status).toBe('awaiting_authorisation');
    expect(waiting.authorisation?.id).toBe('auth_1');
    expect(bank.records.map((r) => r.status)).not.toContain('failed');
    const real = await handle.executeUpdate(psuReturnedUpdate, {
      args: [{ authorisationId: 'auth_1', outcome: 'approved' }],
    });
    expect(real).toEqual({ outcome: 'approved', status: 'active' });
    await until(handle, 'synced', (v) => v.lastSyncAt !== undefined);
    expect(count(bank, 'completeAuthorisation')).toBe(2);
    await finish(handle);
  });

  it('a refused code (another PSU’s, with this state) is not approved and does not poison the authorisation', async () => {
    const { handle } = await start({ refuseCodes: 1, idsOnly: true });
    const mismatched = await handle.executeUpdate(psuReturnedUpdate, {
      args: [{ authorisationId: 'auth_1', outcome: 'approved' }],
    });
    expect(mismatched).toEqual({ outcome: 'error', status: 'awaiting_authorisation' });
    const view = await handle.query(statusQuery);
    expect(view.authorisation?.id).toBe('auth_1');
    expect(view.lastError).toMatch(/PKCE/);
    const own = await handle.executeUpdate(psuReturnedUpdate, {
      args: [{ authorisationId: 'auth_1', outcome: 'approved' }],
    });
    expect(own.outcome).toBe('approved');
    const done = await until(handle, 'active and synced', (v) => v.status === 'active' && v.lastSyncAt !== undefined);
    expect(done.lastError).toBeUndefined();
    await finish(handle);
  });

  it('an early return still expires when the PSU never comes back', async () => {
    const { handle, bank } = await start({ consentStatuses: ['received'] });
    await env.sleep(5 * MINUTE);
    expect(
      await handle.executeUpdate(psuReturnedUpdate, { args: [{ authorisationId: 'auth_1', outcome: 'approved' }] }),
    ).toMatchObject({ outcome: 'pending' });
    await env.sleep(BASE_TIMING.authorisationTimeoutMs);
    await status(handle, 'authorisation_expired');
    expect(bank.closed).toEqual(['auth_1']);
    // A late reload is told the truth, not approved.
    expect(
      await handle.executeUpdate(psuReturnedUpdate, { args: [{ authorisationId: 'auth_1', outcome: 'approved' }] }),
    ).toEqual({ outcome: 'error', status: 'authorisation_expired' });
    await finish(handle);
  });

  it('a denial is told as denied; a reload after approval is told approved; no PSU address reaches the sync', async () => {
    const denied = await start({ idsOnly: true });
    expect(
      await denied.handle.executeUpdate(psuReturnedUpdate, {
        args: [{ authorisationId: 'auth_1', outcome: 'denied', error: 'access_denied' }],
      }),
    ).toEqual({ outcome: 'denied', status: 'rejected' });
    await finish(denied.handle);

    const { handle, bank } = await start({ idsOnly: true });
    const { authorisationUrl, authorisationId } = await handle.executeUpdate(authorisationUrlUpdate);
    expect({ authorisationUrl, authorisationId }).toEqual({ authorisationUrl: '', authorisationId: 'auth_1' });
    await handle.executeUpdate(psuReturnedUpdate, { args: [{ authorisationId: 'auth_1', outcome: 'approved' }] });
    expect(
      await handle.executeUpdate(psuReturnedUpdate, { args: [{ authorisationId: 'auth_1', outcome: 'approved' }] }),
    ).toEqual({ outcome: 'approved', status: 'active' });
    await until(handle, 'synced', (v) => v.lastSyncAt !== undefined);
    expect(bank.syncInputs?.[0]).toEqual({
      connectionId: handle.workflowId.replace(/^connection:/, ''),
      reason: 'first',
      psuPresent: true,
      authorisationId: 'auth_1',
      nextSyncAt: expect.any(Number),
    });
    await finish(handle);
  });

  it('a waiting authorisation whose code the bank refused may be replaced by a re-authorisation', async () => {
    const { handle, bank } = await start({ refuseCodes: 1, idsOnly: true });
    await expect(handle.executeUpdate(reauthoriseUpdate, { args: [{}] })).rejects.toThrow();
    expect(
      await handle.executeUpdate(psuReturnedUpdate, { args: [{ authorisationId: 'auth_1', outcome: 'approved' }] }),
    ).toMatchObject({ outcome: 'error' });
    const replaced = await handle.executeUpdate(reauthoriseUpdate, { args: [{}] });
    expect(replaced).toMatchObject({ authorisationId: 'auth_2', status: 'awaiting_authorisation' });
    expect(bank.closed).toEqual(['auth_1']);
    expect(
      await handle.executeUpdate(psuReturnedUpdate, { args: [{ authorisationId: 'auth_2', outcome: 'approved' }] }),
    ).toEqual({ outcome: 'approved', status: 'active' });
    await finish(handle);
  });

  it('a PSU return whose notice was lost (Temporal away, no reload) is finished at the deadline, not expired', async () => {
    const { handle, bank } = await start({ idsOnly: true, recordedOnClose: 'approved' });
    await env.sleep(BASE_TIMING.authorisationTimeoutMs + MINUTE);
    const view = await until(handle, 'active and synced', (v) => v.status === 'active' && v.lastSyncAt !== undefined);
    expect(view.consent?.consentRowId).toBe('cns_1');
    expect(bank.closed).toEqual(['auth_1']);
    expect(bank.records.map((r) => r.status)).not.toContain('authorisation_expired');
    await finish(handle);
  });
});

describe("our fault is not the customer's fault", () => {
  const OURS: { kind: BankFailureKind; message: string }[] = [
    { kind: 'configuration', message: "the bank's TLS certificate is not trusted by the configured CA bundle" },
    { kind: 'certificate', message: '401 CERTIFICATE_BLOCKED (the signing certificate is not enrolled)' },
    { kind: 'signature', message: '401 SIGNATURE_INVALID' },
  ];

  for (const failure of OURS) {
    it(`a scheduled sync failing with ${failure.kind} keeps the status, records lastError and recovers by itself`, async () => {
      const { handle, bank } = await approved();
      bank.syncFailure = failure;
      await env.sleep(13 * HOUR);
      await until(handle, 'the error recorded', () => lastRecord(bank)?.lastError === failure.message);
      expect(lastRecord(bank).status).toBe('active');
      expect(bank.records.map((r) => r.status)).not.toContain('failed');
      const syncs = count(bank, 'syncConnection');
      // Retried on the normal schedule (not in a loop), then the operator fixes the configuration.
      await env.sleep(12 * HOUR);
      await until(handle, 'the next regular try', () => count(bank, 'syncConnection') === syncs + 1);
      bank.syncFailure = undefined;
      await env.sleep(12 * HOUR);
      await until(handle, 'recovered', () => lastRecord(bank)?.lastError === undefined);
      expect((await handle.query(statusQuery)).status).toBe('active');
      await finish(handle);
    });
  }

  it('a refresh we cannot do (a token we cannot decrypt) keeps the status and retries at the sync cadence', async () => {
    // The refresh token would lapse (6 h) before the next sync (12 h): the workflow's own upkeep.
    const { handle, bank } = await approved({ tokenLifetimeMs: 2 * DAY, refreshTokenLifetimeMs: 6 * HOUR });
    bank.refreshFailure = { kind: 'configuration', message: 'a stored secret failed authentication under key "k1"' };
    await env.sleep(6 * HOUR);
    await until(handle, 'the error recorded', () => lastRecord(bank)?.lastError === bank.refreshFailure?.message);
    expect((await handle.query(statusQuery)).status).toBe('active');
    // Not retried in a loop: the next try comes a sync interval later.
    await env.sleep(10 * HOUR);
    expect(count(bank, 'refreshTokens')).toBe(1);
    bank.refreshFailure = undefined;
    await env.sleep(3 * HOUR);
    await until(
      handle,
      'refreshed',
      () => count(bank, 'refreshTokens') >= 2 && lastRecord(bank)?.lastError === undefined,
    );
    expect((await handle.query(statusQuery)).status).toBe('active');
    await finish(handle);
  });

  it('a consent we cannot create (our API key refused) leaves the connection awaiting authorisation, not failed', async () => {
    const refused = { kind: 'configuration' as const, message: 'the bank refused our client credentials or API key' };
    const { handle, bank, url } = await start({ createFailure: refused });
    expect(url).toBe('');
    const view = await until(handle, 'the error', (v) => v.lastError === refused.message);
    expect(view.status).toBe('awaiting_authorisation');
    expect(bank.records.map((r) => r.status)).not.toContain('failed');
    // Fixed: a re-authorisation starts the authorisation the customer asked for.
    bank.createFailure = undefined;
    const again = await handle.executeUpdate(reauthoriseUpdate, { args: [{}] });
    expect(again.authorisationUrl).toMatch(/^https:\/\/bank\.example\/authorise\//);
    await finish(handle);
  });

  it('an approval we fail to complete on our side does not fail the connection', async () => {
    const { handle, bank } = await start({
      completeFailure: { kind: 'certificate', message: 'the bank refused our TLS client certificate' },
    });
    await handle.signal(psuCallbackSignal, { authorisationId: 'auth_1', outcome: 'approved' });
    const view = await until(handle, 'the error', (v) => v.lastError !== undefined && v.authorisation === undefined);
    expect(view.status).toBe('awaiting_authorisation');
    expect(bank.records.map((r) => r.status)).not.toContain('failed');
    await finish(handle);
  });
});
