/**
 * The whole stack for the connection benchmark, assembled by composition/root.ts as
 * the tests do it (test/helpers/stack.ts) but outside vitest: its own `temporal server start-dev`
 * child (in-memory history), the sandbox banks over loopback mTLS, a temporary
 * SQLite file, and a worker in this process.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../scripts/local-service';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { BankDirectory, BankSetup } from '../banks/directory';
import { enrolAtBec, sandboxBankSetups } from '../banks/sandbox-setup';
import { createRoot } from '../composition/root';
import { EncryptionCodec } from '../temporal/payload-codec';
import { parseEnv } from '../config/env';
import type { OpenDatabase } from '../db/client';
import { createLogger, type Logger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { startSandboxBanks, type SandboxBanks } from '../sandbox';
import { handlePsuCallback, type ConnectionServiceDeps } from '../services/connections';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { callbackQuery, psuDecides } from '../test/helpers/psu';
import type { ConnectionTiming } from '../workflows/connection/types';
import { createWorker, type ServiceWorker } from '../worker/worker';
import { generateSandboxCertificates } from '../xs2a/certs';
import type { SandboxCertificateSet } from '../xs2a/certs/types';
import type { BankProfile } from '../xs2a/profiles/types';

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
}

export interface BenchStack {
  tpp: SandboxCertificateSet;
  devServer: DevServer;
  sandbox: SandboxBanks;
  banks: BankDirectory;
  database: OpenDatabase;
  worker: ServiceWorker;
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
    const sandbox = await startSandboxBanks({ tppCa: tpp.ca, logger });
    cleanups.push(() => sandbox.stop());
    const now = () => sandbox.clock.now().getTime();
    const dbDir = mkdtempSync(join(tmpdir(), 'ob-bench-'));
    cleanups.push(() => rmSync(dbDir, { recursive: true, force: true }));
    const taskQueue = 'bench-connections';
    const root = createRoot({
      env: parseEnv({ TEMPORAL_NAMESPACE: NAMESPACE }),
      logger,
      database: join(dbDir, 'bench.sqlite'),
      bankSetups: withRateLimits(sandboxBankSetups(sandbox, tpp), opts.rateLimits),
      requestTimeoutMs: 30_000,
      now,
      cipherKeys: new Map([['bench1', randomBytes(32)]]),
      // Encrypted like production: the bench measures the codec's cost too.
      payloadCodec: new EncryptionCodec(new Map([['bench-payload1', randomBytes(32)]])),
      timing: BENCH_TIMING,
      taskQueue,
      callbackUrl: BENCH_CALLBACK_URL,
    });
    cleanups.push(() => root.close());
    const { banks, database } = root;
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
    const worker = await startWorker(taskQueue, BENCH_TIMING);
    let extraWorkers = 0;

    const deps = root.serviceDeps(client);
    return {
      tpp,
      devServer,
      sandbox,
      banks,
      database,
      worker,
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
