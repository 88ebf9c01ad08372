import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { envOrExit } from '../config/env';
import { createRoot } from '../composition/root';
import { createLogger } from '../logging/logger';
import { installTemporalRuntime } from '../logging/temporal-runtime';
import { startMetricsServer, type MetricsServer } from '../metrics/worker-server';
import { connectClient, nativeConnectionOptions } from '../temporal/connection';
import { assertSearchAttributes } from '../temporal/search-attributes-admin';
import { exitCodeFor, hardStopAfter, SHUTDOWN_DEADLINE_MS } from '../config/process';
import { startWebhookDispatcher, type WebhookDispatcher } from '../webhooks/dispatcher';
import { createWorker } from './worker';

/**
 * Production entry point: one worker process, scaled independently of the API.
 * Exit codes: 0 stopped after SIGTERM/SIGINT, 1 failed, 2 refused to start on configuration
 * (environment, bank files, certificates, missing search attributes), named on stderr.
 */
async function main(): Promise<void> {
  const env = envOrExit();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY, name: 'worker' });
  // Before any NativeConnection: the SDK's logs into pino, its metrics on TEMPORAL_METRICS_ADDRESS.
  installTemporalRuntime(logger, { metricsAddress: env.TEMPORAL_METRICS_ADDRESS });
  // Refuses to start, naming what is missing, without TOKEN_ENCRYPTION_KEYS or the bank configuration.
  // Local runs without TEMPORAL_PAYLOAD_KEYS share npm start's generated payload key (./var).
  const root = createRoot({ env, logger, varDir: join(process.cwd(), 'var') });
  let connection: NativeConnection | undefined;
  let client: Awaited<ReturnType<typeof connectClient>> | undefined;
  let dispatcher: WebhookDispatcher | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    if (env.WORKER_METRICS_PORT !== undefined) {
      metricsServer = await startMetricsServer({ port: env.WORKER_METRICS_PORT, host: env.WORKER_METRICS_HOST });
      logger.info({ url: metricsServer.url }, 'worker metrics listening');
    }
    // PostgreSQL (DATABASE_URL) opened and migrated before any task is taken.
    await root.storage.ready;
    connection = await NativeConnection.connect(nativeConnectionOptions(env)).catch((err: unknown) => {
      throw new Error(`cannot connect to Temporal at ${env.TEMPORAL_ADDRESS}: ${(err as Error).message}`);
    });
    await assertSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
    const worker = await createWorker({
      connection,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: root.taskQueue,
      deps: root.activityDeps(),
      dataConverter: root.dataConverter,
      tuning: root.workerTuning,
    });
    // Webhooks (issue 11): the outbox → one delivery workflow per event and endpoint (idempotent, so every worker may run it).
    client = await connectClient(env);
    dispatcher = startWebhookDispatcher({
      webhooks: root.repositories.webhooks,
      temporal: client,
      taskQueue: root.taskQueue,
      logger,
    });
    // The worker stops polling, lets running activities finish within its grace time and hands back the rest.
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping: finishing tasks in flight');
      hardStopAfter(SHUTDOWN_DEADLINE_MS, 'worker');
      worker.shutdown();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    logger.info(
      {
        taskQueue: root.taskQueue,
        address: env.TEMPORAL_ADDRESS,
        banks: root.banks.profiles().map((p) => p.id),
        bankQueues: [...worker.banks.values()].map((w) => w.options.taskQueue),
        tuning: root.workerTuning,
        database: root.storage.backend,
      },
      'worker started',
    );
    await worker.run();
  } finally {
    await dispatcher?.stop();
    await client?.connection.close();
    await metricsServer?.close();
    await connection?.close();
    await root.close();
  }
  logger.info('worker stopped');
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`worker failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(exitCodeFor(err));
  });
}
