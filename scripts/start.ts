import { NativeConnection } from '@temporalio/worker';
import { envOrExit } from '../config/env';
import { openDatabase } from '../db/client';
import { createLogger, setRootLogger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { startDevServer } from '../temporal/dev-server';
import { createWorker } from '../worker/worker';

/**
 * The main job for local use: the Temporal dev server (persisted under ./var, Web UI
 * on 8233) and the worker in this process. Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const env = envOrExit();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY ?? process.stdout.isTTY, name: 'main' });
  setRootLogger(logger);
  forwardTemporalLogs(logger);

  const [host, portText] = env.TEMPORAL_ADDRESS.split(':');
  const temporal = await startDevServer({
    host,
    port: Number(portText ?? 7233),
    uiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
    dbFilename: 'var/temporal.sqlite',
    namespace: env.TEMPORAL_NAMESPACE,
  });

  const database = openDatabase(env.DATABASE_PATH);
  const connection = await NativeConnection.connect({ address: temporal.address });
  const worker = await createWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    deps: { db: database.db, logger },
  });
  const running = worker.run();

  process.stdout.write(
    [
      '',
      'Open-banking aggregator is running.',
      `  Temporal:     ${temporal.address}`,
      `  Temporal UI:  ${temporal.uiUrl}`,
      `  Database:     ${env.DATABASE_PATH}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    worker.shutdown();
    await running.catch((err) => logger.error({ err }, 'worker stopped with an error'));
    await connection.close();
    database.close();
    await temporal.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`start failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
