/**
 * Connection-sync benchmark (not a test).
 *
 *   npx tsx bench/connections.ts [--connections 100] [--concurrency 20] [--seconds 30]
 *        [--limited-connections 20] [--limited-seconds 25] [--scheduled 3] [--history-syncs 5]
 *        [--cost-connections 3] [--cost-days 4] [--cost-only] [--workers N] [--postgres]
 *
 * --workers N (N ≥ 1): the sandbox banks run in their own process and N worker processes
 * (test/fixtures/worker-process.ts, the profiles' own rate limits) on the one SQLite file; this
 * process only drives (creates connections, asks for syncs). syncs.cpuPerSync.workerMs is the
 * worker processes' CPU per sync (from /proc), and part 2 has every worker pulling from the
 * bank's queue. Without it (0), worker and banks share this process as before.
 *
 * 1. N connections at the unlimited sandbox BEC, each created through createConnection, the
 *    scripted PSU and handlePsuCallback, `--concurrency` at a time; then on-demand syncs
 *    (syncNow with a PSU IP, so frequencyPerDay never defers them) round-robin over all of
 *    them, `--concurrency` in flight, for `--seconds`: completed syncs / elapsed.
 *    Temporal history events per on-demand sync (one connection, before/after K syncs) and
 *    per scheduled cycle (a subset with syncIntervalMs 500 ms). Process and dev server memory.
 * 2. Enfuce Rocker limited to 5 requests/s at the bank and in our profile (RateBudget): every
 *    one of `--limited-connections` connections syncs in a loop for `--limited-seconds`; the
 *    bank's received rate in that window / 5 (goal ≥ 95%) and its 429 answers (goal 0).
 * 3. Cost per connection-day (bench/connections-cost.ts): `--cost-connections` connections per
 *    bank left alone for `--cost-days` skipped days on the time-skipping test server; token calls
 *    and all calls the bank received, and billable Temporal actions from the histories.
 *    `--cost-only` runs only this part (a couple of minutes); `--cost-days 0` skips it.
 *
 * Progress goes to stderr; a table and one JSON line to stdout. Everything runs on loopback
 * and is stopped in `finally`, including the `temporal server start-dev` child.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { RequestLogEntry } from '../sandbox';
import { createConnection, syncNow, type ConnectionServiceDeps } from '../services/connections';
import { measureCostPerConnectionDay, type CostResult } from './connections-cost';
import { historyOf, onDemandCycle, scheduledCycle, type CycleBreakdown } from './connections-history';
import { startBenchStack, type BenchStack } from './connections-stack';

const PSU_IP = '192.0.2.10';
const LIMITED_BANK = 'enfuce-rocker' as const;
const LIMIT_PER_SECOND = 5;

interface Args {
  connections: number;
  concurrency: number;
  seconds: number;
  limitedConnections: number;
  limitedSeconds: number;
  scheduled: number;
  historySyncs: number;
  costConnections: number;
  costDays: number;
  costOnly: boolean;
  /** Everything on a throw-away PostgreSQL server (scripts/postgres.sh) instead of a SQLite file. */
  postgres: boolean;
  workers: number;
}

const USAGE =
  'usage: --connections N --concurrency C --seconds S --limited-connections L --limited-seconds T (0 skips part 2) --scheduled K (0 skips) --history-syncs H --cost-connections N --cost-days D (0 skips part 3) [--cost-only] --workers N (0: worker in this process) [--postgres]';

function parseArgs(argv: string[]): Args {
  const args: Args = {
    connections: 100,
    concurrency: 20,
    seconds: 30,
    limitedConnections: 20,
    limitedSeconds: 25,
    scheduled: 3,
    historySyncs: 5,
    costConnections: 3,
    costDays: 4,
    costOnly: false,
    postgres: false,
    workers: 0,
  };
  const flags: Record<string, Exclude<keyof Args, 'costOnly' | 'postgres'>> = {
    '--connections': 'connections',
    '--concurrency': 'concurrency',
    '--seconds': 'seconds',
    '--limited-connections': 'limitedConnections',
    '--limited-seconds': 'limitedSeconds',
    '--scheduled': 'scheduled',
    '--history-syncs': 'historySyncs',
    '--cost-connections': 'costConnections',
    '--cost-days': 'costDays',
    '--workers': 'workers',
  };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === '--cost-only' || argv[i] === '--postgres') {
      args[argv[i] === '--cost-only' ? 'costOnly' : 'postgres'] = true;
      i--;
      continue;
    }
    const key = flags[argv[i]];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isFinite(value) || value < 0)
      throw new Error(`bad argument ${argv[i]} ${argv[i + 1] ?? ''}; ${USAGE}`);
    args[key] = value;
  }
  if (!(args.connections >= 1) || !(args.concurrency >= 1) || !(args.seconds > 0))
    throw new Error(`--connections, --concurrency and --seconds must be positive; ${USAGE}`);
  return args;
}

/** Set on SIGINT/SIGTERM: the driver loops start nothing new, so shutdown only waits for what is in flight. */
const stopRequested = new AbortController();

function unlessStopped(): void {
  if (stopRequested.signal.aborted) throw new Error('stopped by a signal');
}

const progress = (line: string) =>
  process.stderr.write(`[bench:connections ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const mb = (bytes: number) => round(bytes / 1_048_576, 1);

/** Runs fn over items with at most `limit` in flight; returns the results in order. */
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !stopRequested.signal.aborted) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  });
  await Promise.all(runners);
  return results;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The activity writes lastSyncAt when the first (attended) sync has stored its data. */
async function waitForFirstSync(stack: BenchStack, connectionId: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await stack.deps.repositories.connections.row(connectionId);
    if (row?.lastSyncAt) return;
    if (row && ['failed', 'rejected', 'reauth_required', 'authorisation_expired'].includes(row.status)) {
      throw new Error(`connection ${connectionId} ended ${row.status} instead of syncing`);
    }
    if (Date.now() > deadline)
      throw new Error(
        `connection ${connectionId} did not finish its first sync within ${timeoutMs} ms (status ${row?.status})`,
      );
    await sleep(50);
  }
}

/** createConnection → the PSU approves at the bank → our callback → first sync stored. */
async function activeConnection(
  stack: BenchStack,
  deps: ConnectionServiceDeps,
  aspspId: string,
  customerId: string,
): Promise<string> {
  const created = await createConnection(deps, {
    customerId,
    aspspId,
    redirectUrl: 'https://product.example/return',
    psuIpAddress: PSU_IP,
  });
  if (!created.authorisationUrl)
    throw new Error(`connection ${created.id} has no authorisation URL (status ${created.status})`);
  await stack.psuApproves(created.authorisationUrl);
  await waitForFirstSync(stack, created.id);
  return created.id;
}

async function createMany(
  stack: BenchStack,
  deps: ConnectionServiceDeps,
  aspspId: string,
  count: number,
  concurrency: number,
  prefix: string,
) {
  const started = performance.now();
  let done = 0;
  const ids = await pool(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const id = await activeConnection(stack, deps, aspspId, `${prefix}-${i}`);
      if (++done % Math.max(1, Math.round(count / 10)) === 0 || done === count)
        progress(`  ${aspspId}: ${done}/${count} connections active`);
      return id;
    },
  );
  const seconds = (performance.now() - started) / 1000;
  return { ids, seconds, perSecond: count / seconds };
}

interface SyncLoad {
  completed: number;
  deferred: number;
  failed: number;
  firstError?: string;
  bankCalls: number;
  seconds: number;
  latenciesMs: number[];
}

/**
 * `runners` loops calling syncNow until the deadline, each taking the next
 * connection round-robin (or, with one runner per connection, always its own).
 * Elapsed time runs until the last in-flight sync has answered.
 */
async function syncLoad(
  deps: ConnectionServiceDeps,
  runners: number,
  seconds: number,
  pick: (runner: number, n: number) => string,
): Promise<SyncLoad> {
  const load: SyncLoad = { completed: 0, deferred: 0, failed: 0, bankCalls: 0, seconds: 0, latenciesMs: [] };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let lastReport = started;
  await Promise.all(
    Array.from({ length: runners }, async (_, runner) => {
      for (let n = 0; performance.now() < deadline && !stopRequested.signal.aborted; n++) {
        const id = pick(runner, n);
        const t = performance.now();
        try {
          const summary = await syncNow(deps, id, PSU_IP);
          if (summary.outcome === 'ok') load.completed++;
          else load.deferred++;
          load.bankCalls += summary.bankCalls;
          load.latenciesMs.push(performance.now() - t);
        } catch (err) {
          load.failed++;
          load.firstError ??= err instanceof Error ? err.message : String(err);
        }
        if (performance.now() - lastReport > 5_000) {
          lastReport = performance.now();
          progress(
            `  ${load.completed} syncs done, ${load.failed} failed, ${round((lastReport - started) / 1000, 0)} s`,
          );
        }
      }
    }),
  );
  load.seconds = (performance.now() - started) / 1000;
  return load;
}

interface MemorySnapshot {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  temporalServerRssMb?: number;
}

/** CPU ms a child process used so far, or undefined (not Linux, gone). */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields 14 and 15 of /proc/<pid>/stat: utime and stime in clock ticks (100 per second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/**
 * CPU ms used so far by this process (driver, plus worker and sandbox banks without --workers),
 * the dev server child, the worker processes together and the sandbox process.
 */
function cpuMs(stack: BenchStack): { self: number; temporalServer?: number; workers?: number; sandbox?: number } {
  const usage = process.cpuUsage();
  const workers = stack.workerPids.map(processCpuMs);
  return {
    self: (usage.user + usage.system) / 1000,
    temporalServer: processCpuMs(stack.devServer.process.pid),
    workers: workers.length && workers.every((w) => w !== undefined) ? workers.reduce((a, b) => a + b, 0) : undefined,
    sandbox: processCpuMs(stack.sandboxPid),
  };
}

function memory(stack: BenchStack): MemorySnapshot {
  const m = process.memoryUsage();
  let temporalServerRssMb: number | undefined;
  try {
    const status = readFileSync(`/proc/${stack.devServer.process.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    if (kb) temporalServerRssMb = round(Number(kb) / 1024, 1);
  } catch {
    // Not Linux, or already gone: leave it out.
  }
  return {
    rssMb: mb(m.rss),
    heapUsedMb: mb(m.heapUsed),
    heapTotalMb: mb(m.heapTotal),
    externalMb: mb(m.external),
    temporalServerRssMb,
  };
}

async function historyPerOnDemandSync(stack: BenchStack, connectionId: string, syncs: number): Promise<CycleBreakdown> {
  const before = await historyOf(stack.client, connectionId);
  for (let i = 0; i < syncs; i++) await syncNow(stack.deps, connectionId, PSU_IP);
  const after = await historyOf(stack.client, connectionId);
  return onDemandCycle(before, after, syncs);
}

/**
 * A subset with syncIntervalMs 500 ms: after the attended first sync, the workflow's own
 * timer drives unattended syncs until frequencyPerDay (4 at BEC) is used up and the next
 * one is deferred to tomorrow. The cycles between the first and fourth scheduled sync are
 * counted, from the final history.
 */
async function historyPerScheduledCycle(
  stack: BenchStack,
  count: number,
  concurrency: number,
): Promise<{ perConnection: CycleBreakdown[]; scheduledOk: number[] }> {
  const deps = await stack.depsWithTiming({ syncIntervalMs: 500 });
  const { ids } = await createMany(stack, deps, 'bec', count, concurrency, 'scheduled');
  const scheduledRuns = async (id: string) =>
    (await stack.deps.repositories.connections.syncRuns(id)).filter((r) => r.reason === 'scheduled');
  const deadline = Date.now() + 60_000;
  // 4 unattended syncs allowed per day, then one deferred: wait for that fifth, parked run.
  const parked = async () => {
    for (const id of ids) if ((await scheduledRuns(id)).filter((r) => r.outcome !== null).length < 5) return false;
    return true;
  };
  while (!(await parked()) && Date.now() < deadline) await sleep(200);
  await sleep(500);
  const perConnection: CycleBreakdown[] = [];
  const scheduledOk: number[] = [];
  for (const id of ids) {
    const ok = (await scheduledRuns(id)).filter((r) => r.outcome === 'ok').length;
    scheduledOk.push(ok);
    const cycle = scheduledCycle(await historyOf(stack.client, id), Math.min(ok, 4));
    if (cycle) perConnection.push(cycle);
  }
  return { perConnection, scheduledOk };
}

interface LimitedResult {
  connections: number;
  creationSeconds: number;
  windowSeconds: number;
  requestsInWindow: number;
  receivedPerSecond: number;
  shareOfAllowed: number;
  /** Same, leaving out the first 2 s, where both token buckets start full (one second of burst). */
  steadyReceivedPerSecond: number;
  steadyShareOfAllowed: number;
  syncsCompleted: number;
  syncsFailed: number;
  firstError?: string;
  status429DuringCreation: number;
  status429DuringSyncs: number;
  statusCounts: Record<string, number>;
  maxRequestsInAnySecond: number;
  /** Which requests the bank refused, ms after the part began (at most 20). */
  refused: Array<{ phase: 'creation' | 'syncs'; method: string; path: string; atMs: number }>;
  /** The first requests of the part as the bank saw them: both buckets start full here, so a 429 shows up early if at all. */
  firstRequests: string[];
}

async function rateLimitedRun(stack: BenchStack, args: Args): Promise<LimitedResult> {
  const log = () => stack.sandbox.requestLog(LIMITED_BANK);
  const lastSeq = async () => (await log()).at(-1)?.seq ?? 0;
  await stack.sandbox.setLimits(LIMITED_BANK, { perSecond: LIMIT_PER_SECOND, perDay: null });
  const creationMark = await lastSeq();
  const phaseStart = await stack.sandbox.now();
  progress(
    `part 2: ${args.limitedConnections} connections at ${LIMITED_BANK}, ${LIMIT_PER_SECOND} req/s at the bank and in our profile`,
  );
  const created = await createMany(
    stack,
    stack.deps,
    LIMITED_BANK,
    args.limitedConnections,
    Math.min(args.concurrency, args.limitedConnections),
    'limited',
  );
  const syncMark = await lastSeq();
  const creation429 = (await log()).filter((e) => e.seq > creationMark && e.seq <= syncMark && e.status === 429).length;

  progress(`part 2: every connection syncs in a loop for ${args.limitedSeconds} s`);
  const windowStart = await stack.sandbox.now();
  const ids = created.ids;
  const load = await syncLoad(stack.deps, ids.length, args.limitedSeconds, (runner) => ids[runner]);
  const windowEnd = windowStart + args.limitedSeconds * 1000;

  // The PSU's pages at the bank (no client certificate) are outside the bank's API limit: leave them out.
  const authorizeUrl = stack.banks.get(LIMITED_BANK).profile.oauth?.authorizeUrl;
  const psuPagePath = authorizeUrl ? new URL(authorizeUrl).pathname : undefined;
  const isPsuPage = (e: RequestLogEntry) => e.path === psuPagePath;
  const all = await log();
  const entries = all.filter((e) => e.seq > syncMark && !isPsuPage(e));
  const at = (e: RequestLogEntry) => Date.parse(e.time);
  const inWindow = entries.filter((e) => at(e) >= windowStart && at(e) < windowEnd);
  const steadyStart = windowStart + 2_000;
  const steady = inWindow.filter((e) => at(e) >= steadyStart);
  const statusCounts: Record<string, number> = {};
  for (const e of entries) statusCounts[String(e.status)] = (statusCounts[String(e.status)] ?? 0) + 1;
  const perSecondBuckets = new Map<number, number>();
  for (const e of inWindow)
    perSecondBuckets.set(
      Math.floor((at(e) - windowStart) / 1000),
      (perSecondBuckets.get(Math.floor((at(e) - windowStart) / 1000)) ?? 0) + 1,
    );

  const windowSeconds = args.limitedSeconds;
  const receivedPerSecond = inWindow.length / windowSeconds;
  const steadyReceivedPerSecond = steady.length / (windowSeconds - 2);
  return {
    connections: ids.length,
    creationSeconds: round(created.seconds),
    windowSeconds,
    requestsInWindow: inWindow.length,
    receivedPerSecond: round(receivedPerSecond, 2),
    shareOfAllowed: round(receivedPerSecond / LIMIT_PER_SECOND, 3),
    steadyReceivedPerSecond: round(steadyReceivedPerSecond, 2),
    steadyShareOfAllowed: round(steadyReceivedPerSecond / LIMIT_PER_SECOND, 3),
    syncsCompleted: load.completed,
    syncsFailed: load.failed,
    firstError: load.firstError,
    status429DuringCreation: creation429,
    status429DuringSyncs: entries.filter((e) => e.status === 429).length,
    statusCounts,
    maxRequestsInAnySecond: Math.max(0, ...perSecondBuckets.values()),
    refused: all
      .filter((e) => e.seq > creationMark && e.status === 429)
      .slice(0, 20)
      .map((e) => ({
        phase: e.seq <= syncMark ? 'creation' : 'syncs',
        method: e.method,
        path: shortPath(e.path),
        atMs: at(e) - phaseStart,
      })),
    firstRequests: all
      .filter((e) => e.seq > creationMark)
      .slice(0, 15)
      .map(
        (e) =>
          `${at(e) - phaseStart}ms ${e.method} ${shortPath(e.path)} ${e.status}${isPsuPage(e) ? ' (PSU page, not limited)' : ''}`,
      ),
  };
}

const shortPath = (path: string) => path.replace(/[0-9a-f-]{16,}/gi, ':id');

function table(rows: Array<[string, string | number]>): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows
    .map(([k, v]) => `${k.padEnd(width)}  ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`)
    .join('\n');
}

async function costPart(args: Args): Promise<CostResult | undefined> {
  if (!(args.costDays > 0 && args.costConnections > 0)) return undefined;
  progress(`part 3: cost per connection-day, ${args.costConnections} connections per bank, ${args.costDays} days`);
  return measureCostPerConnectionDay({
    connections: args.costConnections,
    days: args.costDays,
    warmupDays: 1,
    log: progress,
  });
}

function costRows(cost: CostResult): Array<[string, string | number]> {
  return Object.entries(cost.detail).map(([bank, d]) => [
    `cost per connection-day, ${bank} (${d.connections} connections × ${d.days} days)`,
    `token calls ${d.tokenCalls} (goal ≤ ${d.frequencyPerDay}: ${d.goals.tokenCalls ? 'met' : 'NOT met'}), bank calls ${d.bankCalls}, Temporal actions ${d.temporalActions} (goal ≤ ${2 * d.frequencyPerDay + 2}: ${d.goals.temporalActions ? 'met' : 'NOT met'})`,
  ]);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const loadBefore = os.loadavg();
  if (args.costOnly) {
    const cost = (await costPart(args))!;
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      args,
      cost: { window: cost.window, realSeconds: cost.realSeconds, detail: cost.detail },
      costPerConnectionDay: cost.costPerConnectionDay,
    };
    process.stdout.write(`\n${table(costRows(cost))}\n\n${JSON.stringify(result)}\n`);
    return;
  }
  progress(
    `${args.connections} connections, concurrency ${args.concurrency}, ${args.seconds} s of syncs; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );

  let stack: BenchStack | undefined;
  let stopping: Promise<void> | undefined;
  const stopStack = () => (stopping ??= stack ? stack.stop() : Promise.resolve());
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping`);
    stopRequested.abort();
    void stopStack().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    stack = await startBenchStack({
      rateLimits: { [LIMITED_BANK]: { perSecond: LIMIT_PER_SECOND, perDay: 100_000 } },
      // Ctrl-C also reaches the dev server (same process group): do not wait long for a server that is gone.
      workerOverrides: { shutdownGraceTime: '2s', shutdownForceTime: '10s' },
      workers: args.workers,
      postgres: args.postgres,
      log: progress,
    });
    const memoryAtStart = memory(stack);

    progress(`part 1: creating ${args.connections} connections at bec (${args.concurrency} at a time)`);
    const created = await createMany(stack, stack.deps, 'bec', args.connections, args.concurrency, 'customer');
    unlessStopped();
    const memoryAfterCreate = memory(stack);

    const runners = Math.min(args.concurrency, created.ids.length);
    progress(
      `part 1: on-demand syncs for ${args.seconds} s, ${runners} in flight, round-robin over ${created.ids.length} connections`,
    );
    let cursor = 0;
    const ids = created.ids;
    const cpuBefore = cpuMs(stack);
    const load = await syncLoad(stack.deps, runners, args.seconds, () => ids[cursor++ % ids.length]);
    const cpuAfter = cpuMs(stack);
    const syncsDone = Math.max(1, load.completed + load.deferred);
    const perSync = (before?: number, after?: number) =>
      before !== undefined && after !== undefined ? round((after - before) / syncsDone, 2) : null;
    const cpuPerSync = {
      selfMs: round((cpuAfter.self - cpuBefore.self) / syncsDone, 2),
      /** The worker processes' CPU per sync (--workers); null when the worker runs in this process (selfMs). */
      workerMs: perSync(cpuBefore.workers, cpuAfter.workers),
      sandboxMs: perSync(cpuBefore.sandbox, cpuAfter.sandbox),
      temporalServerMs:
        cpuAfter.temporalServer !== undefined && cpuBefore.temporalServer !== undefined
          ? round((cpuAfter.temporalServer - cpuBefore.temporalServer) / syncsDone, 2)
          : null,
      /** Share of the machine's cores all the bench's processes used during the phase. */
      coresBusy: round(
        (cpuAfter.self -
          cpuBefore.self +
          (cpuAfter.temporalServer ?? 0) -
          (cpuBefore.temporalServer ?? 0) +
          (cpuAfter.workers ?? 0) -
          (cpuBefore.workers ?? 0) +
          (cpuAfter.sandbox ?? 0) -
          (cpuBefore.sandbox ?? 0)) /
          1000 /
          load.seconds,
        2,
      ),
    };
    unlessStopped();
    const memoryAfterSyncs = memory(stack);
    const latencies = [...load.latenciesMs].sort((a, b) => a - b);

    progress(`history: ${args.historySyncs} on-demand syncs on one connection`);
    const onDemand = await historyPerOnDemandSync(stack, ids[0], args.historySyncs);
    let scheduled: Awaited<ReturnType<typeof historyPerScheduledCycle>> | undefined;
    if (args.scheduled > 0) {
      progress(`history: ${args.scheduled} connections with syncIntervalMs 500 ms, scheduled cycles`);
      scheduled = await historyPerScheduledCycle(stack, args.scheduled, args.concurrency);
    }
    unlessStopped();
    const scheduledEvents = scheduled?.perConnection.map((c) => c.eventsPerCycle) ?? [];

    const limited =
      args.limitedSeconds > 0 && args.limitedConnections > 0 ? await rateLimitedRun(stack, args) : undefined;
    unlessStopped();
    const cost = await costPart(args);
    const memoryAtEnd = memory(stack);
    const loadAfter = os.loadavg();

    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      workers: args.workers,
      database: stack.databaseKind,
      loadAverageBefore: loadBefore.map((l) => round(l, 2)),
      loadAverageAfter: loadAfter.map((l) => round(l, 2)),
      args,
      creation: {
        connections: created.ids.length,
        seconds: round(created.seconds),
        perSecond: round(created.perSecond, 2),
      },
      syncs: {
        runners,
        completed: load.completed,
        deferred: load.deferred,
        failed: load.failed,
        firstError: load.firstError,
        seconds: round(load.seconds, 2),
        perSecond: round(load.completed / load.seconds, 2),
        roundsOverAllConnections: round(load.completed / ids.length, 2),
        bankCallsPerSync: round(load.bankCalls / Math.max(1, load.completed + load.deferred), 2),
        bankRequestsPerSecond: round(load.bankCalls / load.seconds, 1),
        latencyMs: {
          p50: round(percentile(latencies, 50)),
          p95: round(percentile(latencies, 95)),
          max: round(latencies.at(-1) ?? NaN),
        },
        cpuPerSync,
      },
      historyEvents: {
        onDemandPerSync: onDemand.eventsPerCycle,
        onDemandKinds: onDemand.kinds,
        onDemandSyncsMeasured: onDemand.cycles,
        scheduledPerCycle: scheduledEvents.length
          ? round(scheduledEvents.reduce((a, b) => a + b, 0) / scheduledEvents.length, 2)
          : null,
        scheduledKinds: scheduled?.perConnection[0]?.kinds ?? null,
        scheduledCyclesMeasured: scheduled?.perConnection.reduce((a, c) => a + c.cycles, 0) ?? 0,
        scheduledOkPerConnection: scheduled?.scheduledOk ?? [],
      },
      memory: {
        atStart: memoryAtStart,
        afterCreate: memoryAfterCreate,
        afterSyncs: memoryAfterSyncs,
        atEnd: memoryAtEnd,
      },
      rateLimited: limited ?? null,
      cost: cost ? { window: cost.window, realSeconds: cost.realSeconds, detail: cost.detail } : null,
      costPerConnectionDay: cost?.costPerConnectionDay ?? null,
    };

    const rows: Array<[string, string | number]> = [
      [
        'connections created (BEC, PSU + first sync)',
        `${created.ids.length} in ${round(created.seconds)} s = ${round(created.perSecond, 2)}/s`,
      ],
      [
        'on-demand syncs completed',
        `${load.completed} (${load.failed} failed, ${load.deferred} deferred) in ${round(load.seconds, 1)} s, ${runners} in flight`,
      ],
      ['connection-syncs per second', round(load.completed / load.seconds, 2)],
      [
        'bank calls per sync / bank requests per second',
        `${result.syncs.bankCallsPerSync} / ${result.syncs.bankRequestsPerSecond}`,
      ],
      [
        'CPU ms per sync: this process / dev server',
        `${cpuPerSync.selfMs} / ${cpuPerSync.temporalServerMs ?? 'n/a'} (${cpuPerSync.coresBusy} cores busy)`,
      ],
      [
        `CPU ms per sync: ${args.workers} worker processes / sandbox process`,
        `${cpuPerSync.workerMs ?? 'n/a (in this process)'} / ${cpuPerSync.sandboxMs ?? 'n/a'}`,
      ],
      [
        'syncNow latency p50 / p95 / max ms',
        `${result.syncs.latencyMs.p50} / ${result.syncs.latencyMs.p95} / ${result.syncs.latencyMs.max}`,
      ],
      [
        'history events per on-demand sync',
        `${round(onDemand.eventsPerCycle, 2)} (${onDemand.cycles} syncs, one workflow)`,
      ],
      [
        'history events per scheduled cycle',
        result.historyEvents.scheduledPerCycle === null
          ? 'not measured'
          : `${result.historyEvents.scheduledPerCycle} (${result.historyEvents.scheduledCyclesMeasured} cycles over ${scheduledEvents.length} workflows)`,
      ],
      ['process RSS / heap used, start', `${memoryAtStart.rssMb} / ${memoryAtStart.heapUsedMb} MB`],
      ['process RSS / heap used, after syncs', `${memoryAfterSyncs.rssMb} / ${memoryAfterSyncs.heapUsedMb} MB`],
      ['process RSS / heap used, end', `${memoryAtEnd.rssMb} / ${memoryAtEnd.heapUsedMb} MB`],
      [
        'temporal dev server RSS, end',
        memoryAtEnd.temporalServerRssMb === undefined ? 'n/a' : `${memoryAtEnd.temporalServerRssMb} MB`,
      ],
    ];
    if (limited) {
      rows.push(
        [`rate-limited (${LIMITED_BANK}, ${LIMIT_PER_SECOND}/s): connections`, limited.connections],
        [
          '  bank received, whole window',
          `${limited.requestsInWindow} requests in ${limited.windowSeconds} s = ${limited.receivedPerSecond}/s = ${round(limited.shareOfAllowed * 100)}% of allowed`,
        ],
        [
          '  bank received, after the first 2 s',
          `${limited.steadyReceivedPerSecond}/s = ${round(limited.steadyShareOfAllowed * 100)}% of allowed`,
        ],
        ['  max requests in any 1 s', limited.maxRequestsInAnySecond],
        ['  429 answers (creation / syncs)', `${limited.status429DuringCreation} / ${limited.status429DuringSyncs}`],
        ['  syncs completed / failed', `${limited.syncsCompleted} / ${limited.syncsFailed}`],
      );
    }
    if (cost) rows.push(...costRows(cost));
    rows.push([
      'load average before / after',
      `${loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
    ]);
    process.stdout.write(`\n${table(rows)}\n\n${JSON.stringify(result)}\n`);
  } finally {
    progress('stopping worker, sandbox banks and the Temporal dev server');
    await stopStack();
    const child = stack?.devServer.process;
    if (child && child.exitCode === null && child.signalCode === null)
      progress(`WARNING: Temporal dev server pid ${child.pid} is still running`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench:connections failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
