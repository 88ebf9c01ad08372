import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../api/app';
import { ensureApiKey } from '../api/auth/api-keys';
import { createBankDirectory } from '../banks/directory';
import { enrolAtBec, sandboxBankSetups } from '../banks/sandbox-setup';
import { envOrExit, parseEnv } from '../config/env';
import { publicBaseUrl, publicCallbackUrl } from '../config/public-urls';
import { openDatabase } from '../db/client';
import { createLogger, setRootLogger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { startSandboxBanks } from '../sandbox';
import { loadOrCreateTppCertificates } from '../sandbox/certificates';
import { TokenCipher, generateKeySpec } from '../secrets/token-cipher';
import { timingFromEnv } from '../services/connections';
import { startDevServer } from '../temporal/dev-server';
import { createWorker } from '../worker/worker';
import { localSecret } from './local-secrets';

const VAR = join(process.cwd(), 'var');

/**
 * The main job, locally: Temporal dev server (persisted under ./var, Web UI), the
 * sandbox banks (BEC, Rocker, ST1), the worker and the API in one process.
 * Ctrl-C stops everything; a restart keeps the data and the running connections.
 */
async function main(): Promise<void> {
  envOrExit();
  // Local runs get a generated key kept in ./var, unless one is configured.
  process.env.TOKEN_ENCRYPTION_KEYS ||= localSecret(join(VAR, 'secrets', 'token-encryption-keys'), () => generateKeySpec('local1'));
  const env = parseEnv();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY ?? process.stdout.isTTY, name: 'main' });
  setRootLogger(logger);
  forwardTemporalLogs(logger);

  const [host, portText] = env.TEMPORAL_ADDRESS.split(':');
  const temporal = await startDevServer({
    host,
    port: Number(portText ?? 7233),
    uiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
    dbFilename: join(VAR, 'temporal.sqlite'),
    namespace: env.TEMPORAL_NAMESPACE,
  });
  const cleanups: Array<() => Promise<unknown>> = [() => temporal.stop()];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => logger.error({ err }, 'stopping failed'));
  };

  try {
    const tpp = loadOrCreateTppCertificates(join(VAR, 'sandbox-certs')).set;
    const sandbox = await startSandboxBanks({
      tppCa: tpp.ca,
      logger: logger.child({ component: 'sandbox' }),
      ports: { bec: 8441, 'enfuce-rocker': 8442, 'enfuce-st1': 8443, admin: 8440 },
      statePath: join(VAR, 'sandbox-state.json'),
    });
    cleanups.push(() => sandbox.stop());

    const database = openDatabase(env.DATABASE_PATH);
    cleanups.push(async () => database.close());
    const banks = createBankDirectory(sandboxBankSetups(sandbox, tpp), logger);
    cleanups.push(() => banks.close());
    await enrolAtBec(banks, tpp);
    const cipher = new TokenCipher(env.TOKEN_ENCRYPTION_KEYS!, env.TOKEN_ENCRYPTION_ACTIVE_KEY_ID);

    const nativeConnection = await NativeConnection.connect({ address: temporal.address });
    const worker = await createWorker({
      connection: nativeConnection,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      deps: {
        db: database.db,
        logger,
        banks,
        cipher,
        callbackUrl: publicCallbackUrl(env),
        syncOverlapMs: env.SYNC_OVERLAP_WINDOW,
        tokenRefreshMarginMs: env.TOKEN_REFRESH_MARGIN,
      },
    });
    const running = worker.run();
    cleanups.push(async () => {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    });

    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const app = buildApp({
      db: database.db,
      temporal: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }),
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      banks,
      timing: timingFromEnv(env),
      cipher,
      logger,
    });
    await app.listen({ host: env.API_HOST, port: env.API_PORT });
    cleanups.push(() => app.close());

    const apiKey =
      process.env.DEMO_API_KEY || localSecret(join(VAR, 'secrets', 'demo-api-key'), () => `obk_${randomBytes(32).toString('base64url')}`);
    await ensureApiKey(database.db, { name: 'local-demo', key: apiKey });

    const api = publicBaseUrl(env);
    process.stdout.write(
      [
        '',
        'Open-banking aggregator is running (sandbox banks).',
        `  API:           ${api}   (docs ${api}/docs, OpenAPI ${api}/openapi.json)`,
        `  Temporal UI:   ${temporal.uiUrl}`,
        `  Sandbox banks: BEC ${sandbox.banks.bec.baseUrl}`,
        `                 Rocker ${sandbox.banks['enfuce-rocker'].baseUrl}, ST1 ${sandbox.banks['enfuce-st1'].baseUrl}`,
        `                 admin ${sandbox.adminUrl}`,
        `  Data:          ${env.DATABASE_PATH}, var/temporal.sqlite`,
        `  API key:       ${apiKey}`,
        '',
        'Create a connection, then open its authorisationUrl in a browser and approve:',
        `  curl -s -X POST ${api}/v1/connections \\`,
        `    -H 'Authorization: Bearer ${apiKey}' -H 'Content-Type: application/json' \\`,
        `    -d '{"aspspId":"bec","customerId":"customer-1","redirectUrl":"https://example.com/done"}'`,
        '',
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    await stopAll();
    throw err;
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`start failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
