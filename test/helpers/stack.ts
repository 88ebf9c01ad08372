import { randomBytes, randomUUID } from 'node:crypto';
import type { DataConverter } from '@temporalio/common';
import type { WorkerOptions } from '@temporalio/worker';
import { inject } from 'vitest';
import { EncryptionCodec } from '../../temporal/payload-codec';
import type { BankDirectory } from '../../banks/directory';
import { enrolAtBec, sandboxBankSetups } from '../../banks/sandbox-setup';
import { createRoot, type ServiceDeps } from '../../composition/root';
import { parseEnv } from '../../config/env';
import { startSandboxBanks, type SandboxBanks } from '../../sandbox';
import type { SandboxSettings } from '../../sandbox/state/types';
import { handlePsuCallback } from '../../services/connections';
import { generateSandboxCertificates } from '../../xs2a/certs';
import type { SandboxCertificateSet } from '../../xs2a/certs/types';
import type { ConnectionTiming } from '../../workflows/connection/contract';
import type { PaymentTiming } from '../../workflows/payment/contract';
import type { ActivityDeps } from '../../activities';
import type { OpenDatabase } from '../../db/client';
import { sqliteTestDb, testPostgresDatabase, pgTestDb, type BackendName, type TestDb } from './backends';
import { testLogger } from './logger';
import { callbackQuery, psuDecides } from './psu';
import { startTestWorker, type TestWorker } from './temporal';

export const TEST_CALLBACK_URL = 'http://127.0.0.1:9/callback';

export const FAST_TIMING: ConnectionTiming = {
  authorisationTimeoutMs: 60_000,
  expiringSoonWarningMs: 7 * 86_400_000,
  tokenRefreshMarginMs: 60_000,
  syncIntervalMs: 3_600_000,
  syncJitterMs: 0,
  maxCyclesPerRun: 50,
};

/** Payment status reads every 100 ms or so, so a test sees a final status quickly. */
export const FAST_PAYMENT_TIMING: PaymentTiming = {
  authorisationTimeoutMs: 60_000,
  pollInitialMs: 100,
  pollFactor: 1.5,
  pollMaxMs: 500,
  unknownAfterMs: 10 * 60_000,
  bankCallTimeoutMs: 5_000,
};

export interface Stack {
  tpp: SandboxCertificateSet;
  sandbox: SandboxBanks;
  banks: BankDirectory;
  backend: BackendName;
  /** Rows of the stack's database, on either backend (seed and inspect what the API does not show). */
  db: TestDb;
  /** The SQLite database (throws on PostgreSQL: use `db`). */
  database: OpenDatabase & { path: string };
  worker: TestWorker;
  /** The connection services' deps with the repositories: spread into buildApp for an API over this stack. */
  deps: ServiceDeps;
  /** What the in-process worker's activities are built from (for a worker in another process, too). */
  activityDeps: ActivityDeps;
  cipherKey: { id: string; key: Buffer };
  /** The Temporal payload key: every history of the stack is encrypted with it. */
  payloadKey: { id: string; key: Buffer };
  /** The codec's converter, for another worker or a replay of the stack's histories. */
  dataConverter: DataConverter;
  payloadCodec: EncryptionCodec;
  /** Drive the bank's page and hand the redirect to our callback logic, as the API's /callback would. */
  psu(
    authorisationUrl: string,
    decision: 'approve' | 'deny',
    psuId?: string,
  ): Promise<Awaited<ReturnType<typeof handlePsuCallback>>>;
  stopWorker(): Promise<void>;
  startWorker(overrides?: Partial<WorkerOptions>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Everything real but the PSU's browser: sandbox banks over mTLS with freshly
 * generated certificates, a worker on the run's Temporal dev server, a SQLite
 * file or this test file's PostgreSQL database (`backend`), and the same services the API uses.
 */
export async function startStack(
  opts: {
    /** Default sqlite; postgres stores in the test file's PostgreSQL database, as DATABASE_URL would. */
    backend?: BackendName;
    settings?: Partial<SandboxSettings>;
    timing?: Partial<ConnectionTiming>;
    paymentTiming?: Partial<PaymentTiming>;
    workerOverrides?: Partial<WorkerOptions>;
  } = {},
): Promise<Stack> {
  const logger = testLogger();
  const tpp = generateSandboxCertificates({
    organizationIdentifier: 'PSDDK-DFSA-TEST0001',
    organizationName: 'Test Aggregator',
  });
  const sandbox = await startSandboxBanks({ tppCa: tpp.ca, settings: opts.settings, logger });
  const now = () => sandbox.clock.now().getTime();
  const backend = opts.backend ?? 'sqlite';
  const db = backend === 'sqlite' ? sqliteTestDb() : await pgTestDb(await testPostgresDatabase());
  const cipherKey = { id: 'test1', key: randomBytes(32) };
  const payloadKey = { id: 'test-payload1', key: randomBytes(32) };
  const taskQueue = opts.workerOverrides?.taskQueue ?? `test-${randomUUID()}`;
  const root = createRoot({
    // The stack's root chooses its backend as the service does: DATABASE_URL or the SQLite file.
    env: parseEnv(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
    database: db.sqlite,
    logger,
    poolSize: 4,
    bankSetups: sandboxBankSetups(sandbox, tpp),
    requestTimeoutMs: 10_000,
    now,
    cipherKeys: new Map([[cipherKey.id, cipherKey.key]]),
    timing: { ...FAST_TIMING, ...opts.timing },
    taskQueue,
    callbackUrl: TEST_CALLBACK_URL,
    payloadCodec: new EncryptionCodec(new Map([[payloadKey.id, payloadKey.key]])),
  });
  const { dataConverter } = root;
  const { banks } = root;
  await enrolAtBec(banks, tpp);
  const activityDeps = root.activityDeps({ paymentTiming: { ...FAST_PAYMENT_TIMING, ...opts.paymentTiming } });
  let worker: TestWorker | undefined = await startTestWorker(activityDeps, {
    taskQueue,
    dataConverter,
    ...opts.workerOverrides,
  });
  // The services' client encrypts like the API's: no plaintext payload reaches the server.
  const client = await root.connectTemporal(inject('temporalAddress'));
  const deps = root.serviceDeps(client);

  return {
    tpp,
    sandbox,
    banks,
    backend,
    db,
    get database() {
      if (!db.sqlite) throw new Error('this stack stores in PostgreSQL: use stack.db');
      return db.sqlite;
    },
    get worker() {
      if (!worker) throw new Error('the in-process worker is stopped');
      return worker;
    },
    deps,
    activityDeps,
    cipherKey,
    payloadKey,
    dataConverter,
    payloadCodec: root.payloadCodec,
    async psu(authorisationUrl, decision, psuId) {
      const { location } = await psuDecides(authorisationUrl, sandbox.serverCaPem, decision, psuId);
      if (!location.startsWith(TEST_CALLBACK_URL))
        throw new Error(`bank redirected to ${location}, not to our callback`);
      return handlePsuCallback(deps, callbackQuery(location), '192.0.2.10');
    },
    async stopWorker() {
      await worker?.stop({ keepClient: true });
      worker = undefined;
    },
    async startWorker(overrides) {
      if (worker) throw new Error('a worker is already running');
      worker = await startTestWorker(activityDeps, {
        taskQueue: deps.taskQueue,
        dataConverter,
        ...opts.workerOverrides,
        ...overrides,
      });
    },
    async stop() {
      await worker?.stop();
      await client.connection.close().catch(() => undefined);
      await root.close();
      await sandbox.stop();
      await db.close();
    },
  };
}
