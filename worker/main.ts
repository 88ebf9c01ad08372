import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { envOrExit } from '../config/env';
import { createRoot } from '../composition/root';
import { createLogger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { nativeConnectionOptions } from '../temporal/connection';
import { createWorker } from './worker';

/** Production entry point: one worker process, scaled independently of the API. */
async function main(): Promise<void> {
  const env = envOrExit();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY, name: 'worker' });
  forwardTemporalLogs(logger);
  // Refuses to start, naming what is missing, without TOKEN_ENCRYPTION_KEYS or the bank configuration.
  // Local runs without TEMPORAL_PAYLOAD_KEYS share npm start's generated payload key (./var).
  const root = createRoot({ env, logger, varDir: join(process.cwd(), 'var') });
  let connection: NativeConnection | undefined;
  try {
    connection = await NativeConnection.connect(nativeConnectionOptions(env));
    const worker = await createWorker({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: root.taskQueue,
      deps: root.activityDeps(),
      dataConverter: root.dataConverter,
    });
    const stop = () => worker.shutdown();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    logger.info(
      { taskQueue: root.taskQueue, address: env.TEMPORAL_ADDRESS, banks: root.banks.profiles().map((p) => p.id) },
      'worker started',
    );
    await worker.run();
  } finally {
    await connection?.close();
    await root.close();
  }
  logger.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
