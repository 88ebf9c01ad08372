/**
 * A connection started by the previous release (its workflow code built from git, PREVIOUS_RELEASE)
 * while it refreshes its PSU token every hour, then picked up by this release's worker: the history
 * replays without a nondeterminism error (the refresh-on-use and sync-records patches answer false
 * while replaying), and from its next live task the run stops waking for access tokens. Time-skipping
 * test server, stubbed activities, as test/workflows/connection.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Context } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { BookkeepingActivities, ConsentActivities, SyncActivities } from '../../activities';
import { forwardTemporalLogs } from '../../logging/temporal-runtime';
import { bankTaskQueue } from '../../temporal/bank-task-queues';
import { SEARCH_ATTRIBUTE_KEYS } from '../../temporal/search-attributes';
import { resolveTemporalTestServer } from '../../temporal/test-server';
import { workflowIdFor, type ConnectionTiming } from '../../workflows/connection/contract';
import {
  authorisationUrlUpdate,
  psuCallbackSignal,
  revokeUpdate,
  statusQuery,
} from '../../workflows/connection/messages';
import { testLogger } from '../helpers/logger';

/** The last commit whose connection workflow refreshed on a timer (main before issue 12's cost work). */
const PREVIOUS_RELEASE = '305b4a6';
const ROOT = join(__dirname, '..', '..');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const TIMING: ConnectionTiming = {
  authorisationTimeoutMs: 15 * 60_000,
  expiringSoonWarningMs: 2 * DAY,
  tokenRefreshMarginMs: 5 * 60_000,
  syncIntervalMs: 12 * HOUR,
  syncJitterMs: 0,
  maxCyclesPerRun: 1000,
};

function previousReleaseTree(): string | undefined {
  try {
    execFileSync('git', ['cat-file', '-e', `${PREVIOUS_RELEASE}^{commit}`], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ob-previous-release-'));
  execFileSync('sh', ['-c', `git archive ${PREVIOUS_RELEASE} workflows temporal xs2a | tar -x -C "${dir}"`], {
    cwd: ROOT,
  });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

const previous = previousReleaseTree();

/** What the stubbed activities did, and the bank's (fake) token lifetimes. */
const calls: string[] = [];
const activities: ConsentActivities & SyncActivities & BookkeepingActivities = {
  async connectionTiming() {
    calls.push('connectionTiming');
    return TIMING;
  },
  async createConsent() {
    calls.push('createConsent');
    return { authorisationId: 'auth_1', consentRowId: 'cns_1' };
  },
  async completeAuthorisation() {
    calls.push('completeAuthorisation');
    const now = Context.current().info.currentAttemptScheduledTimestampMs;
    return {
      consentRowId: 'cns_1',
      consentStatus: 'valid',
      validUntil: new Date(now + 89 * DAY).toISOString().slice(0, 10),
      frequencyPerDay: 4,
      tokenExpiresAt: now + HOUR,
      refreshTokenExpiresAt: now + 90 * DAY,
    };
  },
  async refreshTokens() {
    calls.push('refreshTokens');
    const now = Context.current().info.currentAttemptScheduledTimestampMs;
    return { expiresAt: now + HOUR, refreshTokenExpiresAt: now + 90 * DAY };
  },
  async syncConnection({ reason }) {
    calls.push('syncConnection');
    const now = Context.current().info.currentAttemptScheduledTimestampMs;
    return {
      syncRunId: `${reason}-${calls.length}`,
      outcome: 'ok',
      accounts: 1,
      transactionsUpserted: 0,
      transactionsRemoved: 0,
      bankCalls: 2,
      finishedAt: now,
      // Refreshed on use (this release's activity): an hour from now, the refresh token 90 days.
      tokenExpiresAt: now + HOUR,
      refreshTokenExpiresAt: now + 90 * DAY,
    };
  },
  async revokeConsent() {
    calls.push('revokeConsent');
  },
  async recordConnectionStatus() {
    calls.push('recordConnectionStatus');
  },
  async closeAuthorisation() {
    calls.push('closeAuthorisation');
    return undefined;
  },
};
const count = (name: string) => calls.filter((c) => c === name).length;

describe.skipIf(!previous)(
  `a connection of the previous release (${PREVIOUS_RELEASE}, from git) picked up by this release`,
  () => {
    let env: TestWorkflowEnvironment;
    let previousBundle: string;
    beforeAll(async () => {
      forwardTemporalLogs(testLogger());
      env = await TestWorkflowEnvironment.createTimeSkipping({
        server: { executable: { type: 'existing-path', path: resolveTemporalTestServer() } },
      });
      await env.connection.operatorService.addSearchAttributes({
        namespace: env.namespace ?? 'default',
        searchAttributes: Object.fromEntries(
          SEARCH_ATTRIBUTE_KEYS.map((key) => [
            key.name,
            temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          ]),
        ),
      });
      previousBundle = (await bundleWorkflowCode({ workflowsPath: join(previous!, 'workflows'), logger: quiet })).code;
    });
    afterAll(async () => {
      await env?.teardown();
      if (previous) rmSync(previous, { recursive: true, force: true });
    });

    it('replays its hourly refreshes, then stops waking for access tokens at its next live task', async () => {
      const taskQueue = `upgrade-${randomUUID()}`;
      const workflowId = workflowIdFor(`con_${randomUUID()}`);
      const oldWorker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: { code: previousBundle },
        activities,
        // No sticky queue: the next task must go to the new worker (the test server does not
        // move a stopped worker's sticky tasks while its skipped clock is locked).
        maxCachedWorkflows: 0,
      });
      const handle = await oldWorker.runUntil(async () => {
        const started = await env.client.workflow.start('connectionWorkflow', {
          workflowId,
          taskQueue,
          args: [
            { connectionId: workflowId.slice('connection:'.length), customerId: 'cus_1', aspspId: 'enfuce-rocker' },
          ],
        });
        await started.executeUpdate(authorisationUrlUpdate);
        await started.signal(psuCallbackSignal, { authorisationId: 'auth_1', outcome: 'approved' });
        await env.sleep(3 * HOUR + 60_000);
        // The previous release: a refresh before each access token expires.
        await until('three refreshes', () => count('refreshTokens') >= 3);
        return started;
      });
      const refreshesBefore = count('refreshTokens');
      const syncsBefore = count('syncConnection');

      const newWorker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: { codePath: inject('workflowBundlePath') },
        activities,
      });
      // This release schedules bank calls on the bank's own queue (patch bank-task-queues).
      const bankWorker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue: bankTaskQueue(taskQueue, 'enfuce-rocker'),
        activities,
      });
      const bankRun = bankWorker.run();
      await newWorker.runUntil(async () => {
        await env.sleep(2 * DAY);
        await until('four more syncs', () => count('syncConnection') >= syncsBefore + 4);
        const view = await handle.query(statusQuery);
        expect(view.status).toBe('active');
        // At most the refresh the old timer was already due for: none for the 48 expiries since,
        // and each sync recorded its own read model (no recordConnectionStatus after it).
        expect(count('refreshTokens')).toBeLessThanOrEqual(refreshesBefore + 1);
        expect(calls.slice(-4)).toEqual(Array(4).fill('syncConnection'));
        expect(await handle.executeUpdate(revokeUpdate)).toEqual({ status: 'revoked' });
        await handle.result();
      });
      bankWorker.shutdown();
      await bankRun;

      // The switch is recorded where it happened: the whole history replays through this release.
      const history = await handle.fetchHistory();
      const markers = (history.events ?? []).flatMap((e) => {
        const details = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
        return details ? [Buffer.from(details).toString('utf8')] : [];
      });
      expect(markers.filter((m) => /refresh-on-use|sync-records-read-model/.test(m))).toHaveLength(2);
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        history,
        workflowId,
      );
    });
  },
);

const quiet = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

async function until(what: string, test: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; calls: ${calls.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
