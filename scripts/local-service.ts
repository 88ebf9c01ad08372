import { createServer } from 'node:net';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { buildApp } from '../api/app';
import { readinessChecks, readinessOf } from '../api/routes/health/routes';
import { createRoot } from '../composition/root';
import { ensureApiKey, generateApiKey } from '../api/auth/api-keys';
import { enrolAtBec, sandboxBankSetups } from '../banks/sandbox-setup';
import { parseEnv, type Env } from '../config/env';
import { publicBaseUrl, publicCallbackUrl } from '../config/public-urls';
import type { Logger } from '../logging/logger';
import { startSandboxBanks, type SandboxBanks } from '../sandbox';
import { loadOrCreateTppCertificates } from '../sandbox/certificates';
import { generateKeySpec } from '../secrets/token-cipher';
import { startDevServer } from '../temporal/dev-server';
import { startLocalCodecServer } from '../temporal/local-codec-server';
import type { ConnectionTiming } from '../workflows/connection/types';
import { startWebhookDispatcher } from '../webhooks/dispatcher';
import { createWorker } from '../worker/worker';
import { localSecret } from './local-secrets';

export interface LocalServiceOptions {
  env: Env;
  logger: Logger;
  /** Data, certificates and secrets live here (./var for npm start, a temp dir for demo and tests). */
  varDir: string;
  /** Default: <varDir>/openbanking.sqlite (with DATABASE_URL the service stores in PostgreSQL instead). */
  databasePath?: string;
  /** An existing Temporal server; otherwise a dev server is started (persisted in varDir). */
  temporalAddress?: string;
  temporalPorts?: { frontend: number; ui?: number; codec?: number };
  /** 0 = a free port. */
  ports: { api: number; bec: number; rocker: number; st1: number; admin: number };
  apiKey?: string;
  timing?: Partial<ConnectionTiming>;
  /** A prebuilt workflow bundle (tests); otherwise the worker bundles workflows/ at start. */
  workflowBundlePath?: string;
}

export interface LocalService {
  apiUrl: string;
  apiKey: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  /**
   * The Temporal UI's codec: a loopback-only listener without a key (the UI sends none), only
   * when this service started the dev server with its UI. The API's /codec needs an ops:codec key.
   */
  codecEndpoint?: string;
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
 * or given), sandbox banks, API and worker, assembled by composition/root.ts. The API
 * listens before the worker starts so that the callback URL handed to the banks carries
 * its real port; /readyz answers 200 only once the API key is stored and the worker runs.
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
    // The UI decodes through a loopback codec listener, started below once the codec exists.
    const uiPort = opts.temporalPorts?.ui;
    const codecPort = !temporalAddress && uiPort ? (opts.temporalPorts?.codec ?? (await freePort())) : undefined;
    const codecEndpoint = codecPort ? `http://127.0.0.1:${codecPort}/codec` : undefined;
    if (!temporalAddress) {
      const server = await startDevServer({
        port: opts.temporalPorts?.frontend ?? (await freePort()),
        uiPort,
        uiCodecEndpoint: codecEndpoint,
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

    const root = createRoot({
      env,
      logger,
      database: opts.databasePath ?? join(varDir, 'openbanking.sqlite'),
      bankSetups: sandboxBankSetups(sandbox, tpp),
      cipherKeys: env.TOKEN_ENCRYPTION_KEYS ?? localKeys(varDir),
      timing: opts.timing,
      // Without TEMPORAL_PAYLOAD_KEYS a payload key is generated once under varDir.
      varDir,
    });
    cleanups.push(() => root.close());
    await root.storage.ready;
    if (codecPort && uiPort) {
      const codecServer = await startLocalCodecServer({
        codec: root.payloadCodec,
        port: codecPort,
        uiOrigins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`],
      });
      cleanups.push(() => codecServer.close());
    }
    await enrolAtBec(root.banks, tpp);

    // The key works before anything reports ready.
    const apiKey = opts.apiKey ?? localSecret(join(varDir, 'secrets', 'demo-api-key'), generateApiKey);
    await ensureApiKey(root.repositories.apiKeys, { name: 'local-demo', key: apiKey });

    const temporal = await root.connectTemporal(temporalAddress);
    cleanups.push(() => temporal.connection.close());
    // Ready means the whole service: also this process's worker running (a previous run's pollers may still be listed).
    let workerRunning = false;
    const deps = root.apiDeps(temporal);
    const app = buildApp({
      ...deps,
      readiness: readinessOf({
        ...readinessChecks(deps),
        startup: async () => {
          if (!workerRunning) throw new Error('the worker is still starting');
        },
      }),
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
      taskQueue: root.taskQueue,
      deps: root.activityDeps({ callbackUrl: publicCallbackUrl(urls) }),
      workflowBundlePath: opts.workflowBundlePath,
      dataConverter: root.dataConverter,
      tuning: root.workerTuning,
    });
    const running = worker.run();
    workerRunning = true;
    cleanups.push(async () => {
      worker.shutdown();
      await running;
    });
    // Webhooks (issue 11): outbox → one delivery workflow per event and endpoint.
    const dispatcher = startWebhookDispatcher({
      webhooks: root.repositories.webhooks,
      temporal,
      taskQueue: root.taskQueue,
      logger,
    });
    cleanups.push(() => dispatcher.stop());

    return { apiUrl, apiKey, temporalAddress, temporalUiUrl, codecEndpoint, sandbox, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
