import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from '../config/env';
import { createLogger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { startLocalService } from './local-service';

/**
 * The whole service (Temporal dev server, sandbox banks, worker, API) on free ports in a
 * temporary folder, for scripts/schemathesis.sh: prints one line `SERVICE <apiUrl> <apiKey>`
 * once it is ready, and stops and cleans up on SIGTERM or SIGINT.
 */
async function main(): Promise<void> {
  const env = parseEnv({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error', API_PORT: '0' });
  const logger = createLogger({ level: env.LOG_LEVEL, name: 'schemathesis' });
  forwardTemporalLogs(logger);
  const dir = mkdtempSync(join(tmpdir(), 'ob-schemathesis-'));
  const service = await startLocalService({
    env,
    logger,
    varDir: dir,
    ports: { api: 0, bec: 0, rocker: 0, st1: 0, admin: 0 },
  });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void service
      .stop()
      .finally(() => rmSync(dir, { recursive: true, force: true }))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`SERVICE ${service.apiUrl} ${service.apiKey}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
