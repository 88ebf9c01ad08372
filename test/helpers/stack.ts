import { randomBytes } from 'node:crypto';
import type { WorkerOptions } from '@temporalio/worker';
import { createBankDirectory, type BankDirectory } from '../../banks/directory';
import { enrolAtBec, sandboxBankSetups } from '../../banks/sandbox-setup';
import { TokenCipher } from '../../secrets/token-cipher';
import { startSandboxBanks, type SandboxBanks } from '../../sandbox';
import type { SandboxSettings } from '../../sandbox/state/types';
import { handlePsuCallback, type ConnectionServiceDeps } from '../../services/connections';
import { generateSandboxCertificates } from '../../xs2a/certs';
import type { SandboxCertificateSet } from '../../xs2a/certs/types';
import type { ConnectionTiming } from '../../workflows/connection/types';
import type { PaymentTiming } from '../../workflows/payment/contract';
import type { ActivityDeps } from '../../activities';
import { tempDatabase } from './db';
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
  database: ReturnType<typeof tempDatabase>;
  worker: TestWorker;
  deps: ConnectionServiceDeps;
  /** What the in-process worker's activities are built from (for a worker in another process, too). */
  activityDeps: ActivityDeps;
  cipherKey: { id: string; key: Buffer };
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
 * file, and the same services the API uses.
 */
export async function startStack(
  opts: {
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
  const banks = createBankDirectory(sandboxBankSetups(sandbox, tpp), logger, { now, requestTimeoutMs: 10_000 });
  await enrolAtBec(banks, tpp);
  const database = tempDatabase();
  const cipherKey = { id: 'test1', key: randomBytes(32) };
  const cipher = new TokenCipher(new Map([[cipherKey.id, cipherKey.key]]));
  const activityDeps: ActivityDeps = {
    db: database.db,
    logger,
    banks,
    cipher,
    callbackUrl: TEST_CALLBACK_URL,
    now,
    paymentTiming: { ...FAST_PAYMENT_TIMING, ...opts.paymentTiming },
  };
  let worker: TestWorker | undefined = await startTestWorker(activityDeps, opts.workerOverrides);
  const client = worker.client;
  const timing = { ...FAST_TIMING, ...opts.timing };
  const deps: ConnectionServiceDeps = {
    db: database.db,
    temporal: client,
    taskQueue: worker.taskQueue,
    banks,
    timing,
    cipher,
    now,
  };

  return {
    tpp,
    sandbox,
    banks,
    database,
    get worker() {
      if (!worker) throw new Error('the in-process worker is stopped');
      return worker;
    },
    deps,
    activityDeps,
    cipherKey,
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
        ...opts.workerOverrides,
        ...overrides,
      });
    },
    async stop() {
      await worker?.stop();
      await client.connection.close().catch(() => undefined);
      await banks.close();
      await sandbox.stop();
      database.remove();
    },
  };
}
