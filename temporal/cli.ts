import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The Temporal CLI release this project builds and tests against. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

export function temporalCliCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'openbanking-temporal-cli', TEMPORAL_CLI_VERSION);
}

/**
 * Where the Temporal CLI binary is: TEMPORAL_CLI_PATH when set, else the pinned
 * build cached by `npm run temporal:install`. Nothing is ever downloaded here.
 */
export function resolveTemporalCli(override = process.env.TEMPORAL_CLI_PATH): string {
  if (override) {
    if (!existsSync(override)) {
      throw new Error(`TEMPORAL_CLI_PATH points to ${override}, which does not exist`);
    }
    return override;
  }
  const cached = join(temporalCliCacheDir(), 'temporal');
  if (!existsSync(cached)) {
    throw new Error(
      `No Temporal CLI at ${cached}. Run "npm run temporal:install" (needs Go 1.23+) or set TEMPORAL_CLI_PATH to an existing temporal binary.`,
    );
  }
  return cached;
}
