import { join } from 'node:path';
import { envOrExit } from '../config/env';
import { createRoot } from '../composition/root';
import { exitCodeFor, hardStopAfter, SHUTDOWN_DEADLINE_MS } from '../config/process';
import { createLogger } from '../logging/logger';
import { assertSearchAttributes } from '../temporal/search-attributes-admin';
import { buildApp } from './app';

/**
 * Production entry point (`npm run api`): the REST API, scaled independently of the worker.
 * It holds no bank keys (role api: profiles only). Exit codes as the worker's (config/process.ts).
 */
async function main(): Promise<void> {
  const env = envOrExit();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY, name: 'api' });
  // Local runs without TEMPORAL_PAYLOAD_KEYS share npm start's generated payload key (./var).
  const root = createRoot({ env, logger, role: 'api', varDir: join(process.cwd(), 'var') });
  // PostgreSQL (DATABASE_URL) opened and migrated before the first request; SQLite is open already.
  await root.storage.ready;
  // Payloads are encrypted (TEMPORAL_PAYLOAD_KEYS); /codec/{encode,decode} serve ops with `ops:codec` keys.
  const temporal = await root.connectTemporal().catch((err: unknown) => {
    throw new Error(`cannot connect to Temporal at ${env.TEMPORAL_ADDRESS}: ${(err as Error).message}`);
  });
  await assertSearchAttributes(temporal.connection, env.TEMPORAL_NAMESPACE);
  const app = buildApp(root.apiDeps(temporal));
  await app.listen({ host: env.API_HOST, port: env.API_PORT });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing requests in flight');
    hardStopAfter(SHUTDOWN_DEADLINE_MS, 'api');
    try {
      await app.close();
      await temporal.connection.close();
    } finally {
      await root.close();
      logger.info('api stopped');
      process.exit(0);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`api failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(exitCodeFor(err));
});
