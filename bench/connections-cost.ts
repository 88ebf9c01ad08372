/**
 * Cost per connection-day (bench/connections.ts, part 3): bank calls and billable Temporal actions
 * of connections left alone for several days, per bank, in steady state.
 *
 * Days are compressed with Temporal's time-skipping test server (the Java one the workflow tests
 * use): a timer fires as soon as nothing else is running, so days of unattended syncs take seconds.
 * Everything else is the real stack (sandbox banks over mTLS, SQLite, the worker with the
 * production timing: TOKEN_REFRESH_MARGIN, SYNC_JITTER, ... at their defaults, the sandbox's
 * Enfuce tokens of an hour with refresh tokens of 90 days). The sandbox clock, which is also the
 * activities' clock, follows the server's: each activity attempt moves it forward to the instant
 * the server scheduled it, so tokens expire and frequencyPerDay counts UTC days as the workflows
 * see them. Scaling durations on the dev server instead would leave both sides' frequencyPerDay
 * counters on real days (a fifth sync in a real day would be deferred).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { enrolAtBec, sandboxBankSetups } from '../banks/sandbox-setup';
import { createRoot } from '../composition/root';
import { parseEnv } from '../config/env';
import { timingFromEnv } from '../config/timing';
import { connections, syncRuns } from '../db/schema';
import { createLogger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { startSandboxBanks, type RequestLogEntry, type SandboxBanks } from '../sandbox';
import { createConnection, handlePsuCallback, type ConnectionServiceDeps } from '../services/connections';
import { EncryptionCodec } from '../temporal/payload-codec';
import { SEARCH_ATTRIBUTE_KEYS } from '../temporal/search-attributes';
import { resolveTemporalTestServer } from '../temporal/test-server';
import { callbackQuery, psuDecides } from '../test/helpers/psu';
import { workflowIdFor } from '../workflows/connection/types';
import { createWorker } from '../worker/worker';
import { generateSandboxCertificates } from '../xs2a/certs';
import { resetBudgets } from '../xs2a/limits';
import { eventKind } from './connections-history';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const CALLBACK_URL = 'http://127.0.0.1:9/callback';
const NAMESPACE = 'default';
export const COST_BANKS = ['bec', 'enfuce-rocker', 'enfuce-st1'] as const;
export type CostBank = (typeof COST_BANKS)[number];

export interface CostOptions {
  /** Connections per bank. */
  connections: number;
  /** Days measured, after `warmupDays`. */
  days: number;
  warmupDays: number;
  log: (line: string) => void;
}

/** Per connection-day, in the measured window. */
export interface BankCost {
  tokenCalls: number;
  bankCalls: number;
  temporalActions: number;
}

export interface BankCostDetail extends BankCost {
  connections: number;
  days: number;
  frequencyPerDay: number;
  /** Goals: tokenCalls ≤ frequencyPerDay, temporalActions ≤ 2 × frequencyPerDay + 2. */
  goals: { tokenCalls: boolean; temporalActions: boolean };
  /** Billable actions by kind, per connection-day. */
  actions: Record<string, number>;
  /** Activities scheduled by type, per connection-day. */
  activities: Record<string, number>;
  /** Not in temporalActions (upserted search attributes, patch markers), per connection-day. */
  otherEvents: Record<string, number>;
  /** Workflow tasks (wake-ups of the workflow code), per connection-day. */
  workflowTasks: number;
  syncs: { ok: number; deferred: number; failed: number };
  /** Connections not active at the end (should be none). */
  notActive: string[];
}

export interface CostResult {
  costPerConnectionDay: Record<CostBank, BankCost>;
  detail: Record<CostBank, BankCostDetail>;
  window: { from: string; to: string; days: number; warmupDays: number };
  realSeconds: number;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Billable history events (Temporal Cloud actions), as the brief counts them. */
function billableKind(event: HistoryEvent): string | undefined {
  switch (eventKind(event)) {
    case 'WorkflowExecutionStarted': // a start, or the next run of a continue-as-new
      return 'workflowStarted';
    case 'TimerStarted':
      return 'timers';
    case 'ActivityTaskScheduled':
      return 'activities';
    case 'WorkflowExecutionSignaled':
      return 'signals';
    case 'WorkflowExecutionUpdateAccepted':
      return 'updates';
    default:
      return undefined;
  }
}

const millis = (t: HistoryEvent['eventTime']) =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;

/** Every run of a connection's workflow that has events in [from, to): the latest, then back along continue-as-new. */
async function runsOf(client: Client, connectionId: string, from: number): Promise<HistoryEvent[][]> {
  const runs: HistoryEvent[][] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await client.workflow.getHandle(workflowIdFor(connectionId), runId).fetchHistory();
    const events = history.events ?? [];
    runs.push(events);
    const started = events[0]?.workflowExecutionStartedEventAttributes;
    runId = started?.continuedExecutionRunId ?? undefined;
    if (!runId || millis(events[0]?.eventTime) < from) return runs;
  }
}

const perDay = (n: number, connectionDays: number) => Math.round((n / connectionDays) * 100) / 100;
const add = (into: Record<string, number>, key: string, n = 1) => (into[key] = (into[key] ?? 0) + n);

export async function measureCostPerConnectionDay(opts: CostOptions): Promise<CostResult> {
  const realStart = Date.now();
  const cleanups: Array<() => unknown> = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        opts.log(`cleanup step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  try {
    const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'silent', name: 'bench-cost' });
    forwardTemporalLogs(logger);
    opts.log('cost: starting the time-skipping test server');
    const env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: resolveTemporalTestServer() } },
    });
    cleanups.push(() => env.teardown());
    await env.connection.operatorService.addSearchAttributes({
      namespace: NAMESPACE,
      searchAttributes: Object.fromEntries(
        SEARCH_ATTRIBUTE_KEYS.map((key) => [
          key.name,
          temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        ]),
      ),
    });

    const tpp = generateSandboxCertificates({
      organizationIdentifier: 'PSDDK-DFSA-BENCH002',
      organizationName: 'Bench Aggregator',
    });
    const sandbox: SandboxBanks = await startSandboxBanks({ tppCa: tpp.ca, logger });
    cleanups.push(() => sandbox.stop());
    const clock = sandbox.clock;
    const now = () => clock.now().getTime();
    const dbDir = mkdtempSync(join(tmpdir(), 'ob-bench-cost-'));
    cleanups.push(() => rmSync(dbDir, { recursive: true, force: true }));
    const env0 = parseEnv({ TEMPORAL_NAMESPACE: NAMESPACE });
    const timing = timingFromEnv(env0);
    // Our side's daily request budget counts real days, which pass in seconds here: the
    // per-second pace stays the profile's, the daily one is lifted (frequencyPerDay still holds).
    resetBudgets();
    cleanups.push(() => resetBudgets());
    const bankSetups = sandboxBankSetups(sandbox, tpp).map((setup) =>
      setup.profile.rateLimit
        ? { ...setup, profile: { ...setup.profile, rateLimit: { ...setup.profile.rateLimit, perDay: 1e9 } } }
        : setup,
    );
    const taskQueue = 'bench-cost';
    const root = createRoot({
      env: env0,
      logger,
      database: join(dbDir, 'cost.sqlite'),
      bankSetups,
      requestTimeoutMs: 30_000,
      now,
      cipherKeys: new Map([['cost1', randomBytes(32)]]),
      payloadCodec: new EncryptionCodec(new Map([['cost-payload1', randomBytes(32)]])),
      timing,
      taskQueue,
      callbackUrl: CALLBACK_URL,
    });
    cleanups.push(() => root.close());
    await enrolAtBec(root.banks, tpp);
    const client = new Client({ connection: env.connection, namespace: NAMESPACE, dataConverter: root.dataConverter });

    opts.log('cost: bundling workflows and starting the worker');
    const worker = await createWorker({
      connection: env.nativeConnection,
      namespace: NAMESPACE,
      taskQueue,
      deps: root.activityDeps(),
      dataConverter: root.dataConverter,
      overrides: {
        shutdownGraceTime: '2s',
        shutdownForceTime: '10s',
        interceptors: {
          // The bank's (and the activities') clock follows the server's skipped time.
          activity: [
            (ctx) => ({
              inbound: {
                execute(input, next) {
                  const scheduledAt = ctx.info.currentAttemptScheduledTimestampMs;
                  if (scheduledAt > now()) clock.set(new Date(scheduledAt));
                  return next(input);
                },
              },
            }),
          ],
        },
      },
    });
    const running = worker.run();
    cleanups.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    });

    const deps: ConnectionServiceDeps = root.serviceDeps(client);
    const ids: Record<CostBank, string[]> = { bec: [], 'enfuce-rocker': [], 'enfuce-st1': [] };
    for (const bank of COST_BANKS) {
      for (let i = 0; i < opts.connections; i++)
        ids[bank].push(await activeConnection(deps, sandbox, bank, `cost-${i}`));
      opts.log(`cost: ${opts.connections} connections active at ${bank}`);
    }

    opts.log(`cost: ${opts.warmupDays} day(s) of warm-up, then ${opts.days} measured days (skipped time)`);
    await skip(env, opts.warmupDays * DAY_MS);
    const from = await env.currentTimeMs();
    await skip(env, opts.days * DAY_MS);
    const to = await env.currentTimeMs();
    opts.log(`cost: skipped ${opts.warmupDays + opts.days} days in ${Math.round((Date.now() - realStart) / 1000)} s`);

    const detail = {} as Record<CostBank, BankCostDetail>;
    const costPerConnectionDay = {} as Record<CostBank, BankCost>;
    for (const bank of COST_BANKS) {
      const connectionDays = ids[bank].length * opts.days;
      const inWindow = (ms: number) => ms >= from && ms < to;

      const profile = root.banks.get(bank).profile;
      const tokenPath = profile.oauth ? new URL(profile.oauth.tokenUrl).pathname : undefined;
      const psuPage = profile.oauth ? new URL(profile.oauth.authorizeUrl).pathname : undefined;
      const requests = sandbox
        .requestLog(bank)
        .filter((e: RequestLogEntry) => e.path !== psuPage && inWindow(Date.parse(e.time)));
      const tokenCalls = requests.filter((e) => e.path === tokenPath).length;

      const actions: Record<string, number> = {};
      const activities: Record<string, number> = {};
      const otherEvents: Record<string, number> = {};
      let workflowTasks = 0;
      for (const id of ids[bank]) {
        for (const events of await runsOf(client, id, from)) {
          for (const event of events) {
            if (!inWindow(millis(event.eventTime))) continue;
            const kind = billableKind(event);
            if (kind) add(actions, kind);
            const scheduled = event.activityTaskScheduledEventAttributes;
            if (scheduled) add(activities, scheduled.activityType?.name ?? '?');
            // A retried activity is one action per attempt; history keeps the last attempt's number.
            const attempt = event.activityTaskStartedEventAttributes?.attempt ?? 1;
            if (attempt > 1) add(actions, 'activityRetries', attempt - 1);
            const k = eventKind(event);
            if (
              k === 'UpsertWorkflowSearchAttributes' ||
              k === 'MarkerRecorded' ||
              k === 'WorkflowExecutionContinuedAsNew'
            )
              add(otherEvents, k);
            if (k === 'WorkflowTaskScheduled') workflowTasks++;
          }
        }
      }
      const temporalActions = Object.values(actions).reduce((a, b) => a + b, 0);

      const own = new Set(ids[bank]);
      const bankRuns = root.database.db
        .select({ connectionId: syncRuns.connectionId, outcome: syncRuns.outcome, startedAt: syncRuns.startedAt })
        .from(syncRuns)
        .all()
        .filter((r) => own.has(r.connectionId) && inWindow(r.startedAt));
      const frequencyPerDay = profile.consent.defaultFrequencyPerDay;
      const notActive = ids[bank].filter((id) => {
        const row = root.database.db
          .select({ status: connections.status })
          .from(connections)
          .where(eq(connections.id, id))
          .get();
        return row?.status !== 'active';
      });
      costPerConnectionDay[bank] = {
        tokenCalls: perDay(tokenCalls, connectionDays),
        bankCalls: perDay(requests.length, connectionDays),
        temporalActions: perDay(temporalActions, connectionDays),
      };
      detail[bank] = {
        ...costPerConnectionDay[bank],
        connections: ids[bank].length,
        days: opts.days,
        frequencyPerDay,
        goals: {
          tokenCalls: tokenCalls / connectionDays <= frequencyPerDay,
          temporalActions: temporalActions / connectionDays <= 2 * frequencyPerDay + 2,
        },
        actions: Object.fromEntries(Object.entries(actions).map(([k, n]) => [k, perDay(n, connectionDays)])),
        activities: Object.fromEntries(Object.entries(activities).map(([k, n]) => [k, perDay(n, connectionDays)])),
        otherEvents: Object.fromEntries(Object.entries(otherEvents).map(([k, n]) => [k, perDay(n, connectionDays)])),
        workflowTasks: perDay(workflowTasks, connectionDays),
        syncs: {
          ok: bankRuns.filter((r) => r.outcome === 'ok').length,
          deferred: bankRuns.filter((r) => r.outcome === 'deferred').length,
          failed: bankRuns.filter((r) => r.outcome !== 'ok' && r.outcome !== 'deferred').length,
        },
        notActive,
      };
    }
    return {
      costPerConnectionDay,
      detail,
      window: {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        days: opts.days,
        warmupDays: opts.warmupDays,
      },
      realSeconds: Math.round((Date.now() - realStart) / 100) / 10,
    };
  } finally {
    await stop();
  }
}

/**
 * Skips server time in steps of an hour: one long sleep call outlives the client's keepalive
 * (the test server answers its pings with GOAWAY and the call is lost).
 */
async function skip(env: TestWorkflowEnvironment, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= HOUR_MS) await env.sleep(Math.min(HOUR_MS, left));
}

/** createConnection → the PSU approves at the bank → our callback → the first (attended) sync stored. */
async function activeConnection(
  deps: ConnectionServiceDeps,
  sandbox: SandboxBanks,
  aspspId: string,
  customerId: string,
): Promise<string> {
  const created = await createConnection(deps, {
    customerId,
    aspspId,
    redirectUrl: 'https://product.example/return',
    psuIpAddress: '192.0.2.10',
  });
  if (!created.authorisationUrl) throw new Error(`connection ${created.id} has no authorisation URL`);
  const { location } = await psuDecides(created.authorisationUrl, sandbox.serverCaPem, 'approve');
  if (!location.startsWith(CALLBACK_URL)) throw new Error(`bank redirected the PSU to ${new URL(location).origin}`);
  const result = await handlePsuCallback(deps, callbackQuery(location), '192.0.2.10');
  if (result.outcome !== 'approved') throw new Error(`callback outcome ${result.outcome}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const row = await deps.repositories.connections.get(created.id);
    if (row?.lastSyncAt) return created.id;
    if (Date.now() > deadline) throw new Error(`connection ${created.id} did not sync (status ${row?.status})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
