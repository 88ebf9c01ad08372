import { eq } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { apiKeys } from '../../db/pg/schema';
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

export function pgApiKeyRepository(db: PgDb): ApiKeyRepository {
  return {
    async findByHash(keyHash) {
      const [row] = await db.select(columns).from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).limit(1);
      return row && stored(row);
    },
    async touchLastUsed(id, at) {
      await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
    },
    async create(key) {
      await db.insert(apiKeys).values(key);
    },
    async revoke(id, at) {
      const revoked = await db
        .update(apiKeys)
        .set({ revokedAt: at })
        .where(eq(apiKeys.id, id))
        .returning({ id: apiKeys.id });
      return revoked.length > 0;
    },
    async list() {
      return (await db.select(columns).from(apiKeys)).map(stored);
    },
  };
}
