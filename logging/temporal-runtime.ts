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

export interface TemporalRuntimeOptions {
  /** The Rust core's log level (default WARN). */
  coreLevel?: LogLevel;
  /**
   * host:port where the SDK serves Temporal's own worker metrics (temporal_* task latencies, slots,
   * sticky cache, polls) in the Prometheus format at /metrics (TEMPORAL_METRICS_ADDRESS); off when unset.
   */
  metricsAddress?: string;
}

/**
 * Installs the Temporal SDK runtime once per process: its logs (TypeScript side and the Rust core)
 * go into pino, so the worker has one log stream, and its metrics optionally to a Prometheus
 * endpoint. Runtime.install may run only once, and before the first NativeConnection (which
 * would install a default runtime): call this first. Later calls are no-ops (false).
 */
export function installTemporalRuntime(logger: Logger, options: TemporalRuntimeOptions = {}): boolean {
  if (installed) return false;
  installed = true;
  const sdkLogger = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      const { message, meta, level } = entry;
      sdkLogger[PINO_LEVEL[level]]({ ...(meta ?? {}) }, message);
    }),
    telemetryOptions: {
      logging: {
        filter: makeTelemetryFilterString({ core: options.coreLevel ?? 'WARN', other: 'ERROR' }),
        forward: {},
      },
      ...(options.metricsAddress ? { metrics: { prometheus: { bindAddress: options.metricsAddress } } } : {}),
    },
  });
  return true;
}

/** Routes the Temporal SDK's own logs into pino (installTemporalRuntime without metrics). */
export function forwardTemporalLogs(logger: Logger, coreLevel: LogLevel = 'WARN'): void {
  installTemporalRuntime(logger, { coreLevel });
}
