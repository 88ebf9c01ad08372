import { envOrExit } from '../config/env';
import { openDatabase } from '../db/client';
import { createLogger } from '../logging/logger';
import { TokenCipher } from '../secrets/token-cipher';
import { timingFromEnv } from '../services/connections';
import { connectClient } from '../temporal/connection';
import { buildApp } from './app';
import { bankDirectoryFromEnv } from '../banks/from-env';

/** Production entry point (`npm run api`): the REST API, scaled independently of the worker. */
async function main(): Promise<void> {
  const env = envOrExit();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY, name: 'api' });
  if (!env.TOKEN_ENCRYPTION_KEYS)
    throw new Error('TOKEN_ENCRYPTION_KEYS is required: the API stores authorisation codes encrypted');

  const database = openDatabase(env.DATABASE_PATH);
  const temporal = await connectClient(env);
  const banks = bankDirectoryFromEnv(logger);
  const app = buildApp({
    db: database.db,
    temporal,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    banks,
    timing: timingFromEnv(env),
    cipher: new TokenCipher(env.TOKEN_ENCRYPTION_KEYS, env.TOKEN_ENCRYPTION_ACTIVE_KEY_ID),
    logger,
  });
  await app.listen({ host: env.API_HOST, port: env.API_PORT });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing requests in flight');
    try {
      await app.close();
      await banks.close();
      await temporal.connection.close();
    } finally {
      database.close();
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
