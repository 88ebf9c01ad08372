import { randomBytes } from 'node:crypto';
import type { ActivityDeps } from '../../activities';
import { createBankDirectory } from '../../banks/directory';
import type { Db } from '../../db/client';
import { sqliteRepositories } from '../../repositories/sqlite';
import { TokenCipher } from '../../secrets/token-cipher';
import { testLogger } from './logger';
import { parseEnv } from '../../config/env';
import { timingFromEnv } from '../../config/timing';

/** Complete activity deps for a worker that only runs the ping workflow: no banks configured. */
export function pingActivityDeps(db: Db): ActivityDeps {
  const logger = testLogger();
  return {
    repositories: sqliteRepositories(db),
    logger,
    banks: createBankDirectory([], logger),
    cipher: new TokenCipher(new Map([['ping1', randomBytes(32)]])),
    callbackUrl: 'http://127.0.0.1:9/callback',
    timing: timingFromEnv(parseEnv({})),
  };
}
