import { join } from 'node:path';
import { envOrExit } from '../config/env';
import { createRoot } from '../composition/root';
import { createLogger } from '../logging/logger';
import { buildApp } from './app';

/** Production entry point (`npm run api`): the REST API, scaled independently of the worker. */
async function main(): Promise<void> {
  const env = envOrExit();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY, name: 'api' });
  // Local runs without TEMPORAL_PAYLOAD_KEYS share npm start's generated payload key (./var).
  const root = createRoot({ env, logger, varDir: join(process.cwd(), 'var') });
  // Payloads are encrypted (TEMPORAL_PAYLOAD_KEYS); /codec/{encode,decode} serve ops with `ops:codec` keys.
  const temporal = await root.connectTemporal();
  const app = buildApp(root.apiDeps(temporal));
  await app.listen({ host: env.API_HOST, port: env.API_PORT });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing requests in flight');
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
  process.exit(1);
});
