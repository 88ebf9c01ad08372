/**
 * The whole stack for the connection benchmark, assembled by composition/root.ts as
 * the tests do it (test/helpers/stack.ts) but outside vitest: its own `temporal server start-dev`
 * child (in-memory history), the sandbox banks over loopback mTLS, a temporary
 * SQLite file, and a worker in this process; or, with `workers`, the sandbox banks in their own
 * process (bench/sandbox-process.ts) and that many worker processes (test/fixtures/worker-process.ts)
 * sharing the SQLite file, the driver only creating connections and asking for syncs.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../scripts/local-service';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { BankDirectory, BankSetup } from '../banks/directory';
import { enrolAtBec, sandboxBankSetups } from '../banks/sandbox-setup';
import { createRoot } from '../composition/root';
import { EncryptionCodec } from '../temporal/payload-codec';
import { parseEnv } from '../config/env';
import { startTestPostgres } from '../test/helpers/postgres';
import { createLogger, type Logger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { startSandboxBanks, type RequestLogEntry, type SandboxBanks, type SandboxLimits } from '../sandbox';
import type { SandboxBankId } from '../sandbox/state/types';
import type { WorkerProcessConfig } from '../test/fixtures/worker-process';
import { handlePsuCallback, type ConnectionServiceDeps } from '../services/connections';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { callbackQuery, psuDecides } from '../test/helpers/psu';
import type { ConnectionTiming } from '../workflows/connection/types';
import { createWorker, WORKFLOWS_PATH } from '../worker/worker';
import { generateSandboxCertificates } from '../xs2a/certs';
import type { SandboxCertificateSet } from '../xs2a/certs/types';
import type { BankProfile } from '../xs2a/profiles/types';
import type { SandboxReady, SandboxRequest } from './sandbox-process';

const quietBundler = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };

export const BENCH_CALLBACK_URL = 'http://127.0.0.1:9/callback';
export const NAMESPACE = 'default';

export const BENCH_TIMING: ConnectionTiming = {
  authorisationTimeoutMs: 60_000,
  expiringSoonWarningMs: 7 * 86_400_000,
  tokenRefreshMarginMs: 60_000,
  // On-demand syncs only: no scheduled cycle fires during a run unless a subset asks for one.
  syncIntervalMs: 3_600_000,
  syncJitterMs: 0,
  maxCyclesPerRun: 200,
};

export interface BenchStackOptions {
  /** Our side's rate limits per profile id (the RateBudget paces us); absent = the profile's own. */
  rateLimits?: Record<string, BankProfile['rateLimit']>;
  workerOverrides?: Partial<WorkerOptions>;
  log?: (line: string) => void;
  /**
   * 0 (default): one worker in this process, the sandbox banks too. N: the sandbox banks in their
   * own process and N worker processes with the profiles' own rate limits; the driver runs none.
   */
  workers?: number;
  /** Store everything on a throw-away PostgreSQL server (scripts/postgres.sh) instead of a SQLite file. */
  postgres?: boolean;
}

/** What the driver asks of the sandbox banks, wherever they run. */
export interface BenchSandbox {
  serverCaPem: string;
  requestLog(bank: SandboxBankId, afterSeq?: number): Promise<RequestLogEntry[]>;
  setLimits(bank: SandboxBankId, limits: Partial<SandboxLimits>): Promise<void>;
  /** The banks' clock (ms). */
  now(): Promise<number>;
}

const inProcess = (sandbox: SandboxBanks): BenchSandbox => ({
  serverCaPem: sandbox.serverCaPem,
  requestLog: async (bank, afterSeq = 0) => sandbox.requestLog(bank).filter((e) => e.seq > afterSeq),
  setLimits: async (bank, limits) => sandbox.setLimits(bank, limits),
  now: async () => sandbox.clock.now().getTime(),
});

/** The sandbox banks in a child process, asked by message (bench/sandbox-process.ts). */
async function sandboxProcess(tpp: SandboxCertificateSet): Promise<{
  child: ChildProcess;
  ready: SandboxReady;
  sandbox: BenchSandbox;
  stop(): Promise<void>;
}> {
  const child = fork(join(__dirname, 'sandbox-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SANDBOX_TPP_CA: JSON.stringify(tpp.ca.certificatePem) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await new Promise<SandboxReady>((resolve, reject) => {
    child.once('message', (m: SandboxReady) => resolve(m));
    child.once('exit', (code) => reject(new Error(`the sandbox process exited with ${code}`)));
  });
  let nextId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  child.on('message', (m: { id?: number; result?: unknown }) => {
    if (m.id !== undefined) waiting.get(m.id)?.(m.result);
    if (m.id !== undefined) waiting.delete(m.id);
  });
  type Unsent = SandboxRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
  const ask = <T>(request: Unsent): Promise<T> =>
    new Promise((resolve) => {
      const id = ++nextId;
      waiting.set(id, resolve as (r: unknown) => void);
      child.send({ ...request, id });
    });
  return {
    child,
    ready,
    sandbox: {
      serverCaPem: ready.serverCaPem,
      requestLog: (bank, afterSeq) => ask({ op: 'requestLog', bank, afterSeq }),
      setLimits: (bank, limits) => ask({ op: 'setLimits', bank, limits }),
      now: () => ask({ op: 'now' }),
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.send({ op: 'stop', id: ++nextId });
      await gone;
    },
  };
}

/** A worker process (test/fixtures/worker-process.ts), resolved once it polls. */
async function workerProcess(config: WorkerProcessConfig, dir: string, name: string): Promise<ChildProcess> {
  const configPath = join(dir, `${name}.json`);
  writeFileSync(configPath, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      // Extra node flags for the workers only, e.g. "--import ./bench/worker-profile.ts".
      ...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      join(__dirname, '..', 'test', 'fixtures', 'worker-process.ts'),
    ],
    { env: { ...process.env, WORKER_CONFIG: configPath }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker process ${name} exited with ${code}`)));
  });
  return child;
}

export interface BenchStack {
  tpp: SandboxCertificateSet;
  devServer: DevServer;
  sandbox: BenchSandbox;
  /** The sandbox process's pid, with `workers`. */
  sandboxPid?: number;
  /** The worker processes' pids (none without `workers`: the worker is this process). */
  workerPids: number[];
  banks: BankDirectory;
  /** 'postgresql' with `postgres`, else the SQLite file. */
  databaseKind: 'sqlite' | 'postgresql';
  client: Client;
  deps: ConnectionServiceDeps;
  /**
   * The same services with other timing (e.g. a short syncIntervalMs for a subset): timing is the
   * worker's, so this starts another worker with it on its own task queue.
   */
  depsWithTiming(timing: Partial<ConnectionTiming>): Promise<ConnectionServiceDeps>;
  /** The PSU approves at the bank's page; the redirect goes to our callback logic as the API's /callback would hand it. */
  psuApproves(authorisationUrl: string): Promise<void>;
  stop(): Promise<void>;
}

function withRateLimits(setups: BankSetup[], rateLimits: BenchStackOptions['rateLimits'] = {}): BankSetup[] {
  return setups.map((setup) =>
    setup.profile.id in rateLimits
      ? { ...setup, profile: { ...setup.profile, rateLimit: rateLimits[setup.profile.id] } }
      : setup,
  );
}

/**
 * Starts everything; on a failure half-way, stops what already started before
 * rethrowing, so no `temporal` child or HTTPS server outlives the script.
 */
export async function startBenchStack(opts: BenchStackOptions = {}): Promise<BenchStack> {
  const log = opts.log ?? (() => undefined);
  const logger: Logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'silent', name: 'bench' });
  forwardTemporalLogs(logger);
  const cleanups: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    // Reverse order of start; each step is attempted even if an earlier one fails.
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        log(`cleanup step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };

  try {
    const port = await freePort();
    log(`starting Temporal dev server on 127.0.0.1:${port} (in-memory history)`);
    const devServer = await startDevServer({ port, stdio: 'ignore' });
    cleanups.push(() => devServer.stop());

    const tpp = generateSandboxCertificates({
      organizationIdentifier: 'PSDDK-DFSA-BENCH001',
      organizationName: 'Bench Aggregator',
    });
    const workers = opts.workers ?? 0;
    let sandbox: BenchSandbox;
    let sandboxBanks: SandboxBanks;
    let sandboxPid: number | undefined;
    let now: (() => number) | undefined;
    if (workers > 0) {
      log('starting the sandbox banks in their own process');
      const external = await sandboxProcess(tpp);
      cleanups.push(() => external.stop());
      sandbox = external.sandbox;
      sandboxPid = external.child.pid;
      // What sandboxBankSetups reads: the banks' addresses and CA (no bank state across processes).
      sandboxBanks = {
        banks: external.ready.banks,
        serverCaPem: external.ready.serverCaPem,
      } as unknown as SandboxBanks;
    } else {
      const local = await startSandboxBanks({ tppCa: tpp.ca, logger });
      cleanups.push(() => local.stop());
      sandbox = inProcess(local);
      sandboxBanks = local;
      now = () => local.clock.now().getTime();
    }
    const dbDir = mkdtempSync(join(tmpdir(), 'ob-bench-'));
    cleanups.push(() => rmSync(dbDir, { recursive: true, force: true }));
    const taskQueue = 'bench-connections';
    const cipherKey = randomBytes(32);
    const payloadKey = randomBytes(32);
    let databaseUrl: string | undefined;
    if (opts.postgres) {
      log('starting PostgreSQL (scripts/postgres.sh)');
      const pg = await startTestPostgres();
      cleanups.push(() => pg.stop());
      databaseUrl = pg.url;
    }
    const dbPath = databaseUrl ? undefined : join(dbDir, 'bench.sqlite');
    const root = createRoot({
      env: parseEnv({ TEMPORAL_NAMESPACE: NAMESPACE, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) }),
      logger,
      ...(dbPath ? { database: dbPath } : {}),
      bankSetups: withRateLimits(sandboxBankSetups(sandboxBanks, tpp), opts.rateLimits),
      requestTimeoutMs: 30_000,
      ...(now ? { now } : {}),
      cipherKeys: new Map([['bench1', cipherKey]]),
      // Encrypted like production: the bench measures the codec's cost too.
      payloadCodec: new EncryptionCodec(new Map([['bench-payload1', payloadKey]])),
      timing: BENCH_TIMING,
      taskQueue,
      callbackUrl: BENCH_CALLBACK_URL,
    });
    cleanups.push(() => root.close());
    const { banks } = root;
    await enrolAtBec(banks, tpp);

    const nativeConnection = await NativeConnection.connect({ address: devServer.address });
    cleanups.push(() => nativeConnection.close());
    const connection = await Connection.connect({ address: devServer.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: NAMESPACE, dataConverter: root.dataConverter });

    log('bundling workflows and starting the worker');
    const activityDeps = root.activityDeps();
    // The worker owns connection timing (its workflows read it with the connectionTiming activity).
    const startWorker = async (queue: string, timing: ConnectionTiming) => {
      const started = await createWorker({
        connection: nativeConnection,
        namespace: NAMESPACE,
        taskQueue: queue,
        deps: { ...activityDeps, timing },
        dataConverter: root.dataConverter,
        overrides: opts.workerOverrides,
      });
      const running = started.run();
      let runError: unknown;
      running.catch((err: unknown) => {
        runError = err;
        log(`worker stopped with an error: ${err instanceof Error ? err.message : String(err)}`);
      });
      cleanups.push(async () => {
        if (started.getState() === 'RUNNING') started.shutdown();
        await running.catch(() => undefined);
        if (runError) log('(the worker had failed before shutdown)');
      });
      return started;
    };
    const workerPids: number[] = [];
    if (workers > 0) {
      log(`bundling workflows and starting ${workers} worker processes`);
      const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundler });
      const bundlePath = join(dbDir, 'workflow-bundle.js');
      writeFileSync(bundlePath, code);
      const config: WorkerProcessConfig = {
        address: devServer.address,
        taskQueue,
        bundlePath,
        ...(databaseUrl ? { databaseUrl } : { dbPath }),
        keyId: 'bench1',
        keyBase64: cipherKey.toString('base64'),
        payloadKeyId: 'bench-payload1',
        payloadKeyBase64: payloadKey.toString('base64'),
        callbackUrl: BENCH_CALLBACK_URL,
        sandbox: { banks: sandboxBanks.banks, serverCaPem: sandboxBanks.serverCaPem },
        tpp,
        timing: BENCH_TIMING,
      };
      const children = await Promise.all(
        Array.from({ length: workers }, (_, i) => workerProcess(config, dbDir, `worker-${i + 1}`)),
      );
      for (const child of children) {
        workerPids.push(child.pid!);
        cleanups.push(async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const gone = new Promise((resolve) => child.once('exit', resolve));
          // The measurements are taken: no graceful drain (a draining worker can wait on its pollers).
          child.kill('SIGKILL');
          await gone;
        });
      }
    } else {
      await startWorker(taskQueue, BENCH_TIMING);
    }
    let extraWorkers = 0;

    const deps = root.serviceDeps(client);
    return {
      tpp,
      devServer,
      sandbox,
      sandboxPid,
      workerPids,
      banks,
      databaseKind: databaseUrl ? 'postgresql' : 'sqlite',
      client,
      deps,
      async depsWithTiming(timing) {
        // Other timing needs another worker: its own task queue, the same workflow code.
        const queue = `${taskQueue}-${++extraWorkers}`;
        await startWorker(queue, { ...BENCH_TIMING, ...timing });
        return { ...deps, taskQueue: queue };
      },
      async psuApproves(authorisationUrl) {
        const { location } = await psuDecides(authorisationUrl, sandbox.serverCaPem, 'approve');
        // The location carries the authorisation code: name only where it points.
        if (!location.startsWith(BENCH_CALLBACK_URL))
          throw new Error(`bank redirected the PSU to ${new URL(location).origin}, not to our callback`);
        const result = await handlePsuCallback(deps, callbackQuery(location), '192.0.2.10');
        if (result.outcome !== 'approved') throw new Error(`callback outcome ${result.outcome}`);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
