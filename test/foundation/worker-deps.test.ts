import { describe, expect, it } from 'vitest';
import type { NativeConnection } from '@temporalio/worker';
import { missingActivityDeps, type ActivityDeps } from '../../activities';
import { sqliteRepositories } from '../../repositories/sqlite';
import { createWorker } from '../../worker/worker';
import { tempDatabase } from '../helpers/db';
import { testLogger } from '../helpers/logger';
import { pingActivityDeps } from '../helpers/ping-deps';

describe('a worker refuses incomplete activity deps', () => {
  it('names each missing dependency before connecting anywhere', async () => {
    const database = tempDatabase();
    try {
      const partial = { repositories: sqliteRepositories(database.db), logger: testLogger() } as Partial<ActivityDeps>;
      expect(missingActivityDeps(partial)).toEqual([
        expect.stringMatching(/^banks/),
        expect.stringMatching(/^cipher \(TOKEN_ENCRYPTION_KEYS\)/),
        expect.stringMatching(/^callbackUrl/),
        expect.stringMatching(/^timing/),
      ]);
      expect(missingActivityDeps(pingActivityDeps(database.db))).toEqual([]);
      await expect(
        createWorker({
          connection: undefined as unknown as NativeConnection,
          namespace: 'default',
          taskQueue: 'never-polled',
          deps: partial as ActivityDeps,
        }),
      ).rejects.toThrow(/the worker cannot start: missing banks.*cipher.*callbackUrl.*timing/);
    } finally {
      database.remove();
    }
  });
});
