import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { apiKeys } from '../../db/schema';
import type { ApiKeyRepository, NewApiKey, StoredApiKey } from '../api-keys';

const columns = {
  id: apiKeys.id,
  name: apiKeys.name,
  customerIds: apiKeys.customerIds,
  scopes: apiKeys.scopes,
  createdAt: apiKeys.createdAt,
  revokedAt: apiKeys.revokedAt,
  lastUsedAt: apiKeys.lastUsedAt,
};

const stored = (row: StoredApiKey): StoredApiKey => ({
  ...row,
  customerIds: row.customerIds ?? null,
  scopes: row.scopes ?? null,
});

/**
 * Synchronous SQLite operations, for the CLI and test set-up that run outside a
 * request; the API goes through the async repository below.
 */
export const sqliteApiKeys = {
  findByHash(db: Db, keyHash: string): StoredApiKey | undefined {
    const row = db.select(columns).from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).get();
    return row && stored(row);
  },
  create(db: Db, key: NewApiKey): void {
    db.insert(apiKeys).values(key).run();
  },
  revoke(db: Db, id: string, at: number): boolean {
    return db.update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id)).run().changes > 0;
  },
  list(db: Db): StoredApiKey[] {
    return db.select(columns).from(apiKeys).all().map(stored);
  },
};

export function sqliteApiKeyRepository(db: Db): ApiKeyRepository {
  return {
    async findByHash(keyHash) {
      return sqliteApiKeys.findByHash(db, keyHash);
    },
    async touchLastUsed(id, at) {
      db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)).run();
    },
    async create(key) {
      sqliteApiKeys.create(db, key);
    },
    async revoke(id, at) {
      return sqliteApiKeys.revoke(db, id, at);
    },
    async list() {
      return sqliteApiKeys.list(db);
    },
  };
}
