import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { apiKeys } from '../../db/schema';
import type { ApiKeyRepository, StoredApiKey } from '../api-keys';

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

export function sqliteApiKeyRepository(db: Db): ApiKeyRepository {
  return {
    async findByHash(keyHash) {
      const row = db.select(columns).from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).get();
      return row && stored(row);
    },
    async touchLastUsed(id, at) {
      db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)).run();
    },
    async create(key) {
      db.insert(apiKeys).values(key).run();
    },
    async revoke(id, at) {
      return db.update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id)).run().changes > 0;
    },
    async list() {
      return db.select(columns).from(apiKeys).all().map(stored);
    },
  };
}
