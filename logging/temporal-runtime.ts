import { DefaultLogger, Runtime, makeTelemetryFilterString, type LogLevel } from '@temporalio/worker';
import type { Logger } from './logger';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let installed = false;

/**
 * Routes the Temporal SDK's own logs (TypeScript side and the Rust core) into pino,
 * so the worker has one log stream. Runtime.install may run only once per process.
 */
export function forwardTemporalLogs(logger: Logger, coreLevel: LogLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  const sdkLogger = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      const { message, meta, level } = entry;
      sdkLogger[PINO_LEVEL[level]]({ ...(meta ?? {}) }, message);
    }),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: coreLevel, other: 'ERROR' }), forward: {} },
    },
  });
}
