import { and, eq, isNull, lt } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { idempotencyKeys } from '../../db/schema';
import type { IdempotencyRepository } from '../idempotency';

export function sqliteIdempotencyRepository(db: Db): IdempotencyRepository {
  const where = (apiKeyId: string, key: string) =>
    and(eq(idempotencyKeys.apiKeyId, apiKeyId), eq(idempotencyKeys.key, key));
  return {
    async reserve(apiKeyId, key, requestHash, at) {
      const inserted = db
        .insert(idempotencyKeys)
        .values({ apiKeyId, key, requestHash, createdAt: at })
        .onConflictDoNothing()
        .run();
      return inserted.changes === 1;
    },
    async find(apiKeyId, key) {
      const row = db.select().from(idempotencyKeys).where(where(apiKeyId, key)).get();
      return (
        row && {
          requestHash: row.requestHash,
          statusCode: row.statusCode,
          response: row.response,
          createdAt: row.createdAt,
        }
      );
    },
    async complete(apiKeyId, key, statusCode, response) {
      db.update(idempotencyKeys).set({ statusCode, response }).where(where(apiKeyId, key)).run();
    },
    async release(apiKeyId, key) {
      db.delete(idempotencyKeys)
        .where(and(where(apiKeyId, key), isNull(idempotencyKeys.statusCode)))
        .run();
    },
    async takeOver(apiKeyId, key, createdBefore, at) {
      const taken = db
        .update(idempotencyKeys)
        .set({ createdAt: at })
        .where(
          and(where(apiKeyId, key), isNull(idempotencyKeys.statusCode), lt(idempotencyKeys.createdAt, createdBefore)),
        )
        .run();
      return taken.changes === 1;
    },
  };
}
