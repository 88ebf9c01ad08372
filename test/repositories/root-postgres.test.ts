/**
 * DATABASE_URL selects PostgreSQL for everything the composition root hands out (migrated on open):
 * the API's, services' and activities' repositories; without it SQLite stays the default.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createRoot } from '../../composition/root';
import { parseEnv } from '../../config/env';
import { tempDatabase } from '../helpers/db';
import { testLogger } from '../helpers/logger';
import { createTestDatabase } from '../helpers/postgres';
import { randomBytes as payloadKeyBytes } from 'node:crypto';
import { EncryptionCodec } from '../../temporal/payload-codec';

const testPayloadCodec = () => new EncryptionCodec(new Map([['p1', payloadKeyBytes(32)]]));

const KEYS = `k1:${randomBytes(32).toString('base64')}`;
const postgresUrl = inject('postgresUrl');

describe('DATABASE_URL in the environment', () => {
  it('must be a postgres:// URL', () => {
    expect(() => parseEnv({ DATABASE_URL: 'mysql://x/y' })).toThrow(/DATABASE_URL: must be a postgres:\/\//);
    expect(parseEnv({ DATABASE_URL: 'postgresql://u@h:5432/db' }).DATABASE_URL).toBe('postgresql://u@h:5432/db');
    expect(parseEnv({}).DATABASE_URL).toBeUndefined();
  });

  it('an unreachable PostgreSQL fails readiness and calls, without crashing the process', async () => {
    const database = tempDatabase();
    const root = createRoot({
      env: parseEnv({ TOKEN_ENCRYPTION_KEYS: KEYS, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
      logger: testLogger(),
      database,
      bankSetups: [],
      payloadCodec: testPayloadCodec(),
    });
    try {
      await expect(root.storage.ready).rejects.toThrow(/PostgreSQL \(DATABASE_URL\) could not be opened/);
      await expect(root.repositories.ping()).rejects.toThrow();
      await expect(root.repositories.connections.get('x')).rejects.toThrow();
    } finally {
      await root.close();
      database.remove();
    }
  });

  describe.skipIf(!postgresUrl)(
    `on PostgreSQL${postgresUrl ? '' : ` (skipped: ${inject('postgresUnavailable')})`}`,
    () => {
      it('gives repositories over the migrated PostgreSQL database', async () => {
        const pgDatabase = await createTestDatabase(postgresUrl!, 'root');
        const database = tempDatabase();
        const root = createRoot({
          env: parseEnv({ TOKEN_ENCRYPTION_KEYS: KEYS, DATABASE_URL: pgDatabase.url }),
          logger: testLogger(),
          database,
          bankSetups: [],
          payloadCodec: testPayloadCodec(),
        });
        try {
          await root.repositories.ping();
          await root.repositories.apiKeys.create({
            id: 'key_1',
            name: 'n',
            keyHash: 'h',
            customerIds: null,
            scopes: null,
          });
          const client = new Client({ connectionString: pgDatabase.url });
          await client.connect();
          try {
            const { rows } = await client.query('select id from api_keys');
            expect(rows).toEqual([{ id: 'key_1' }]);
          } finally {
            await client.end();
          }
          // Not in SQLite: the read model lives in PostgreSQL.
          expect(database.sqlite.prepare('select count(*) as n from api_keys').get()).toEqual({ n: 0 });
          // The services and activities store there too; there is no SQLite database to reach for.
          expect(root.storage.backend).toBe('postgres');
          expect(root.serviceDeps({} as never).repositories).toBe(root.repositories);
          expect(root.activityDeps().repositories).toBe(root.repositories);
          expect(() => root.database).toThrow(/PostgreSQL/);
        } finally {
          await root.close();
          database.remove();
          await pgDatabase.drop();
        }
      });
    },
  );
});
