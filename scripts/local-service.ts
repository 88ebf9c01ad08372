import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { buildApp } from '../api/app';
import { ensureApiKey, generateApiKey } from '../api/auth/api-keys';
import { createBankDirectory } from '../banks/directory';
import { enrolAtBec, sandboxBankSetups } from '../banks/sandbox-setup';
import { parseEnv, type Env } from '../config/env';
import { publicBaseUrl, publicCallbackUrl } from '../config/public-urls';
import { openDatabase } from '../db/client';
import type { Logger } from '../logging/logger';
import { startSandboxBanks, type SandboxBanks } from '../sandbox';
import { loadOrCreateTppCertificates } from '../sandbox/certificates';
import { TokenCipher, generateKeySpec } from '../secrets/token-cipher';
import { timingFromEnv } from '../services/connections';
import { startDevServer } from '../temporal/dev-server';
import type { ConnectionTiming } from '../workflows/connection/types';
import { startWebhookDispatcher } from '../webhooks/dispatcher';
import { webhookSettingsFromEnv } from '../webhooks/settings';
import { createWorker } from '../worker/worker';
import { localSecret } from './local-secrets';

export interface LocalServiceOptions {
  env: Env;
  logger: Logger;
  /** Data, certificates and secrets live here (./var for npm start, a temp dir for demo and tests). */
  varDir: string;
  /** Default: <varDir>/openbanking.sqlite. */
  databasePath?: string;
  /** An existing Temporal server; otherwise a dev server is started (persisted in varDir). */
  temporalAddress?: string;
  temporalPorts?: { frontend: number; ui?: number };
  /** 0 = a free port. */
  ports: { api: number; bec: number; rocker: number; st1: number; admin: number };
  apiKey?: string;
  timing?: Partial<ConnectionTiming>;
}

export interface LocalService {
  apiUrl: string;
  apiKey: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  sandbox: SandboxBanks;
  stop(): Promise<void>;
}

/** Local runs without TOKEN_ENCRYPTION_KEYS get one key, generated once and kept in varDir. */
function localKeys(varDir: string): Map<string, Buffer> {
  const spec = localSecret(join(varDir, 'secrets', 'token-encryption-keys'), () => generateKeySpec('local1'));
  return parseEnv({ TOKEN_ENCRYPTION_KEYS: spec }).TOKEN_ENCRYPTION_KEYS!;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The whole service in one process, against the sandbox banks: Temporal (dev server
 * or given), sandbox banks, API and worker. The API listens before the worker starts
 * so that the callback URL handed to the banks carries its real port.
 */
export async function startLocalService(opts: LocalServiceOptions): Promise<LocalService> {
  const { env, logger, varDir } = opts;
  const cleanups: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => logger.error({ err }, 'stopping failed'));
    cleanups.length = 0;
  };
  try {
    let temporalAddress = opts.temporalAddress;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      const server = await startDevServer({
        port: opts.temporalPorts?.frontend ?? (await freePort()),
        uiPort: opts.temporalPorts?.ui,
        dbFilename: join(varDir, 'temporal.sqlite'),
        namespace: env.TEMPORAL_NAMESPACE,
      });
      cleanups.push(() => server.stop());
      temporalAddress = server.address;
      temporalUiUrl = server.uiUrl;
    }

    const tpp = loadOrCreateTppCertificates(join(varDir, 'sandbox-certs')).set;
    const sandbox = await startSandboxBanks({
      tppCa: tpp.ca,
      logger: logger.child({ component: 'sandbox' }),
      ports: {
        bec: opts.ports.bec,
        'enfuce-rocker': opts.ports.rocker,
        'enfuce-st1': opts.ports.st1,
        admin: opts.ports.admin,
      },
      statePath: join(varDir, 'sandbox-state.json'),
    });
    cleanups.push(() => sandbox.stop());

    const database = openDatabase(opts.databasePath ?? join(varDir, 'openbanking.sqlite'));
    cleanups.push(async () => database.close());
    const banks = createBankDirectory(sandboxBankSetups(sandbox, tpp), logger);
    cleanups.push(() => banks.close());
    await enrolAtBec(banks, tpp);
    const cipher = new TokenCipher(env.TOKEN_ENCRYPTION_KEYS ?? localKeys(varDir), env.TOKEN_ENCRYPTION_ACTIVE_KEY_ID);

    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    const timing = { ...timingFromEnv(env), ...opts.timing };
    const temporal = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const app = buildApp({
      db: database.db,
      temporal,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      banks,
      timing,
      cipher,
      logger,
    });
    await app.listen({ host: env.API_HOST, port: opts.ports.api });
    cleanups.push(() => app.close());
    const apiPort = (app.server.address() as { port: number }).port;
    const urls = { ...env, API_PORT: apiPort };
    const apiUrl = publicBaseUrl(urls);

    const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
    cleanups.push(() => nativeConnection.close());
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      deps: {
        db: database.db,
        logger,
        banks,
        cipher,
        callbackUrl: publicCallbackUrl(urls),
        syncOverlapMs: env.SYNC_OVERLAP_WINDOW,
        tokenRefreshMarginMs: env.TOKEN_REFRESH_MARGIN,
        webhooks: webhookSettingsFromEnv(env),
      },
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    // Webhooks (issue 11): outbox → one delivery workflow per event and endpoint.
    const dispatcher = startWebhookDispatcher({
      db: database.db,
      temporal,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      logger,
    });
    cleanups.push(() => dispatcher.stop());

    const apiKey = opts.apiKey ?? localSecret(join(varDir, 'secrets', 'demo-api-key'), generateApiKey);
    ensureApiKey(database.db, { name: 'local-demo', key: apiKey });
    return { apiUrl, apiKey, temporalAddress, temporalUiUrl, sandbox, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
