import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { missingActivityDeps } from '../../activities';
import { createRoot } from '../../composition/root';
import { parseEnv } from '../../config/env';
import { tempDatabase } from '../helpers/db';
import { testLogger } from '../helpers/logger';

const KEYS = `k1:${randomBytes(32).toString('base64')}`;

describe('composition root', () => {
  it('refuses to assemble without TOKEN_ENCRYPTION_KEYS or the bank configuration, naming them', () => {
    const database = tempDatabase();
    try {
      expect(() => createRoot({ env: parseEnv({}), logger: testLogger(), database, source: {} })).toThrow(
        /TOKEN_ENCRYPTION_KEYS is required/,
      );
      expect(() =>
        createRoot({ env: parseEnv({ TOKEN_ENCRYPTION_KEYS: KEYS }), logger: testLogger(), database, source: {} }),
      ).toThrow(/BANK_PROFILES_FILE is required.*BANK_CA_PATH is required/);
    } finally {
      database.remove();
    }
  });

  it('builds complete activity deps and API deps from the environment and its overrides', async () => {
    const database = tempDatabase();
    const root = createRoot({
      env: parseEnv({
        TOKEN_ENCRYPTION_KEYS: KEYS,
        TEMPORAL_PAYLOAD_KEYS: `p1:${randomBytes(32).toString('base64')}`,
        API_PORT: '3456',
        TEMPORAL_TASK_QUEUE: 'q1',
      }),
      logger: testLogger(),
      database,
      bankSetups: [],
      timing: { syncJitterMs: 0 },
    });
    try {
      const activityDeps = root.activityDeps();
      expect(missingActivityDeps(activityDeps)).toEqual([]);
      expect(activityDeps.callbackUrl).toBe('http://127.0.0.1:3456/callback');
      expect(root.activityDeps({ callbackUrl: 'http://x.example/callback' }).callbackUrl).toBe(
        'http://x.example/callback',
      );
      expect(root.taskQueue).toBe('q1');
      expect(root.timing).toMatchObject({ syncJitterMs: 0, authorisationTimeoutMs: 15 * 60_000 });
      await root.repositories.ping();
      expect(await root.repositories.connections.listByCustomer('nobody')).toEqual([]);
    } finally {
      await root.close();
      database.remove();
    }
  });
});
