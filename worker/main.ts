import { NativeConnection } from '@temporalio/worker';
import { envOrExit } from '../config/env';
import { openDatabase } from '../db/client';
import { createLogger, setRootLogger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { nativeConnectionOptions } from '../temporal/connection';
import { createWorker } from './worker';

/** Production entry point: one worker process, scaled independently of the API. */
async function main(): Promise<void> {
  const env = envOrExit();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY, name: 'worker' });
  setRootLogger(logger);
  forwardTemporalLogs(logger);

  const database = openDatabase(env.DATABASE_PATH);
  const connection = await NativeConnection.connect(nativeConnectionOptions(env));
  const worker = await createWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    deps: { db: database.db, logger },
  });
  logger.info({ taskQueue: env.TEMPORAL_TASK_QUEUE, address: env.TEMPORAL_ADDRESS }, 'worker started');
  await worker.run();
  await connection.close();
  database.close();
  logger.info('worker stopped');
}

main().catch((err) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
