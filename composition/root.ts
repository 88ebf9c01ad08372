/**
 * The one place the service is assembled: banks, cipher, database, repositories,
 * activity deps and API deps, from the environment plus a few overrides (the
 * sandbox banks instead of BANK_PROFILES_FILE, a clock, timing, a task queue).
 * Used by api/main.ts, worker/main.ts, scripts/local-service.ts (npm start, demo),
 * test/helpers/stack.ts and bench/connections-stack.ts.
 */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { ActivityDeps } from '../activities';
import type { ApiDeps } from '../api/deps';
import { bankProfiles, type BankDirectory, type BankProfiles, type BankSetup } from '../banks/directory';
import { bankProfilesFromEnv } from '../banks/from-env';
import type { Env } from '../config/env';
import { publicCallbackUrl } from '../config/public-urls';
import type { OpenDatabase } from '../db/client';
import type { Logger } from '../logging/logger';
import type { Repositories } from '../repositories';
import type { TokenCipher } from '../secrets/token-cipher';
import { timingFromEnv } from '../config/timing';
import { workerTuningFromEnv, type WorkerTuning } from '../config/worker-tuning';
import type { ConnectionServiceDeps } from '../services/connections';
import type { ConnectionTiming } from '../workflows/connection/types';
import { temporalUiOriginsFrom } from '../api/routes/codec/routes';
import { temporalConnectionOptions } from '../temporal/connection';
import { dataConverterFor, type EncryptionCodec } from '../temporal/payload-codec';
import { payloadCodecFromEnv } from '../temporal/payload-keys';
import { webhookSettingsFromEnv } from '../webhooks/settings';
import { fleetRequestLimiter } from '../banks/fleet-limiter';
import { banksFor } from './banks';
import { cipherFor } from './cipher';
import { openStorage, type Storage } from './storage';

export interface RootOptions {
  env: Env;
  logger: Logger;
  /**
   * SQLite (without DATABASE_URL): default env.DATABASE_PATH; a database given open stays open when
   * the root closes. With DATABASE_URL the service stores in PostgreSQL and this is not used.
   */
  database?: string | OpenDatabase;
  /** PostgreSQL: the pool's size (default 10). */
  poolSize?: number;
  /** Default: BANK_PROFILES_FILE and the TPP certificates; npm start, tests and bench: the sandbox banks. */
  bankSetups?: BankSetup[];
  /** The bank transports' request timeout (default: theirs). */
  requestTimeoutMs?: number;
  /** The clock of the services, activities and bank transports (tests: the sandbox clock). */
  now?: () => number;
  /** Default: TOKEN_ENCRYPTION_KEYS. */
  cipherKeys?: Map<string, Buffer>;
  /** Over the environment's timing (AUTHORISATION_TIMEOUT, SYNC_JITTER, …). */
  timing?: Partial<ConnectionTiming>;
  /** Default: env.TEMPORAL_TASK_QUEUE. */
  taskQueue?: string;
  /** Default: PUBLIC_BASE_URL (or API_HOST:API_PORT) + /callback. */
  callbackUrl?: string;
  /** Where bank configuration is read from (default process.env). */
  source?: NodeJS.ProcessEnv;
  /**
   * 'api': bank profiles only (BANK_PROFILES_FILE), no QWAC/QSEAL keys, no transports; activityDeps
   * and banks are unavailable. Default 'all' (worker, npm start, tests).
   */
  role?: 'api' | 'all';
  /**
   * The Temporal payload codec (tests: one with a random key). Default: TEMPORAL_PAYLOAD_KEYS, or
   * for local runs a key generated once under varDir (temporal/payload-keys.ts).
   */
  payloadCodec?: EncryptionCodec;
  /** Local runs: where a generated payload key is kept when TEMPORAL_PAYLOAD_KEYS is unset. */
  varDir?: string;
}

/** The connection services' deps plus the read model: what the API's routes and tests drive. */
export type ServiceDeps = ConnectionServiceDeps & { repositories: Repositories };

export interface Root {
  env: Env;
  logger: Logger;
  /** Where everything is stored: chosen once from DATABASE_URL (composition/storage.ts). */
  storage: Storage;
  /** The SQLite database (throws on PostgreSQL: use the repositories). */
  database: OpenDatabase;
  /** The banks' transports (throws in an API-only root: it holds no bank keys). */
  banks: BankDirectory;
  /** The configured banks' profiles (every role). */
  profiles: BankProfiles;
  cipher: TokenCipher;
  /** Every read and write of the API, services, activities and dispatcher. */
  repositories: Repositories;
  timing: ConnectionTiming;
  /** The worker's concurrency and cache (WORKER_*), for createWorker. */
  workerTuning: WorkerTuning;
  taskQueue: string;
  callbackUrl: string;
  now?: () => number;
  /** Encrypts every workflow and activity payload (AES-256-GCM); the codec endpoint decodes with it. */
  payloadCodec: EncryptionCodec;
  /** For every Temporal client, worker and replay of this service: `{ payloadCodecs: [payloadCodec] }`. */
  dataConverter: DataConverter;
  /** A Temporal client with the data converter, connected per TEMPORAL_* (or to `address`). */
  connectTemporal(address?: string): Promise<Client>;
  /** The services' deps over a Temporal client. */
  serviceDeps(temporal: Client): ServiceDeps;
  apiDeps(temporal: Client, extra?: Partial<Omit<ApiDeps, 'temporal'>>): ApiDeps;
  /** Complete by construction; `callbackUrl` can be given late (the API's port is known after listen). */
  activityDeps(overrides?: Partial<ActivityDeps>): ActivityDeps;
  /** Closes the banks' transports and the database the root opened. */
  close(): Promise<void>;
}

export function createRoot(options: RootOptions): Root {
  const { env, logger } = options;
  const cipher = cipherFor(env, options.cipherKeys);
  const storage = openStorage(env, logger, { database: options.database, poolSize: options.poolSize });
  let banks: BankDirectory | undefined;
  let profiles: BankProfiles;
  const slots = storage.bankRequestSlots;
  try {
    if (options.role === 'api' && !options.bankSetups) {
      profiles = bankProfiles(bankProfilesFromEnv(options.source));
    } else {
      banks = banksFor(
        {
          setups: options.bankSetups,
          requestTimeoutMs: options.requestTimeoutMs,
          now: options.now,
          // Every bank with a known limit is paced for the whole fleet through the shared database.
          limiterFor: (profile) => fleetRequestLimiter(slots, profile),
        },
        logger,
        options.source,
      );
      profiles = banks;
    }
  } catch (err) {
    void storage.close();
    throw err;
  }
  let payloadCodec: EncryptionCodec;
  try {
    payloadCodec = options.payloadCodec ?? payloadCodecFromEnv(env, { varDir: options.varDir });
  } catch (err) {
    void storage.close();
    throw err;
  }
  const dataConverter = dataConverterFor(payloadCodec);
  const { repositories } = storage;
  const timing = timingFromEnv(env, options.timing);
  const taskQueue = options.taskQueue ?? env.TEMPORAL_TASK_QUEUE;
  const callbackUrl = options.callbackUrl ?? publicCallbackUrl(env);
  const now = options.now;
  const transports = (): BankDirectory => {
    if (!banks)
      throw new Error('this process was built without bank transports (role api): only the worker calls banks');
    return banks;
  };

  const serviceDeps = (temporal: Client): ServiceDeps => ({
    repositories,
    temporal,
    taskQueue,
    banks: profiles,
    cipher,
    ...(now ? { now } : {}),
  });

  return {
    env,
    logger,
    storage,
    get database() {
      if (!storage.sqlite)
        throw new Error('this service stores in PostgreSQL (DATABASE_URL): there is no SQLite database');
      return storage.sqlite;
    },
    get banks() {
      return transports();
    },
    profiles,
    cipher,
    repositories,
    timing,
    workerTuning: workerTuningFromEnv(env),
    taskQueue,
    callbackUrl,
    now,
    payloadCodec,
    dataConverter,
    async connectTemporal(address) {
      const connection = await Connection.connect({
        ...temporalConnectionOptions(env),
        ...(address ? { address } : {}),
      });
      return new Client({ connection, namespace: env.TEMPORAL_NAMESPACE, dataConverter });
    },
    serviceDeps,
    apiDeps: (temporal, extra = {}) => ({
      ...serviceDeps(temporal),
      logger,
      payloadCodec,
      temporalUiOrigins: temporalUiOriginsFrom(env.TEMPORAL_UI_ORIGIN),
      webhooks: { mode: webhookSettingsFromEnv(env).mode },
      ...extra,
    }),
    activityDeps: (overrides = {}) => ({
      repositories,
      logger,
      banks: transports(),
      cipher,
      callbackUrl,
      // The worker owns timing: running workflows read it through the connectionTiming activity.
      timing,
      syncOverlapMs: env.SYNC_OVERLAP_WINDOW,
      tokenRefreshMarginMs: timing.tokenRefreshMarginMs,
      // Payments wait for the PSU as long as connections do (AUTHORISATION_TIMEOUT).
      paymentTiming: { authorisationTimeoutMs: timing.authorisationTimeoutMs },
      webhooks: webhookSettingsFromEnv(env),
      ...(now ? { now } : {}),
      ...overrides,
    }),
    async close() {
      await banks?.close();
      await storage.close();
    },
  };
}
