import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Temporal's Java time-skipping test server (io.temporal:temporal-test-server) the workflow tests run on. */
export const TEMPORAL_TEST_SERVER_VERSION = '1.31.0'; // keep in step with scripts/temporal-test-server.sh

export function temporalTestServerCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'openbanking-temporal-test-server', TEMPORAL_TEST_SERVER_VERSION);
}

/**
 * The test server's launcher: TEMPORAL_TEST_SERVER_PATH when set, else the wrapper that
 * `bash scripts/temporal-test-server.sh install` (run by scripts/setup.sh) generated. Nothing is
 * ever downloaded here; pass it as `server.executable` of TestWorkflowEnvironment.createTimeSkipping.
 */
export function resolveTemporalTestServer(override = process.env.TEMPORAL_TEST_SERVER_PATH): string {
  if (override) {
    if (!existsSync(override)) throw new Error(`TEMPORAL_TEST_SERVER_PATH points to ${override}, which does not exist`);
    return override;
  }
  const cached = join(temporalTestServerCacheDir(), 'temporal-test-server');
  if (!existsSync(cached)) {
    throw new Error(
      `No Temporal test server at ${cached}. Run "bash scripts/temporal-test-server.sh install" (needs java and mvn) or set TEMPORAL_TEST_SERVER_PATH.`,
    );
  }
  return cached;
}
