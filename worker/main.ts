import { NativeConnection } from '@temporalio/worker';
import { envOrExit } from '../config/env';
import { timingFromEnv } from '../config/timing';
import { publicCallbackUrl } from '../config/public-urls';
import { bankDirectoryFromEnv } from '../banks/from-env';
import { openDatabase } from '../db/client';
import { createLogger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { TokenCipher } from '../secrets/token-cipher';
import { nativeConnectionOptions } from '../temporal/connection';
import { createWorker } from './worker';

/** Production entry point: one worker process, scaled independently of the API. */
async function main(): Promise<void> {
  const env = envOrExit();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY, name: 'worker' });
  forwardTemporalLogs(logger);
  if (!env.TOKEN_ENCRYPTION_KEYS)
    throw new Error('TOKEN_ENCRYPTION_KEYS is required for the worker (tokens are encrypted at rest)');

  const database = openDatabase(env.DATABASE_PATH);
  const banks = bankDirectoryFromEnv(logger);
  const connection = await NativeConnection.connect(nativeConnectionOptions(env));
  const worker = await createWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    deps: {
      db: database.db,
      logger,
      banks,
      cipher: new TokenCipher(env.TOKEN_ENCRYPTION_KEYS, env.TOKEN_ENCRYPTION_ACTIVE_KEY_ID),
      callbackUrl: publicCallbackUrl(env),
      syncOverlapMs: env.SYNC_OVERLAP_WINDOW,
      tokenRefreshMarginMs: env.TOKEN_REFRESH_MARGIN,
      timing: timingFromEnv(env),
    },
  });
  const stop = () => worker.shutdown();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  logger.info(
    { taskQueue: env.TEMPORAL_TASK_QUEUE, address: env.TEMPORAL_ADDRESS, banks: banks.profiles().map((p) => p.id) },
    'worker started',
  );
  await worker.run();
  await connection.close();
  await banks.close();
  database.close();
  logger.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
