import { and, eq, isNull, lt } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { idempotencyKeys } from '../../db/pg/schema';
import type { IdempotencyRepository } from '../idempotency';

export function pgIdempotencyRepository(db: PgDb): IdempotencyRepository {
  const where = (apiKeyId: string, key: string) =>
    and(eq(idempotencyKeys.apiKeyId, apiKeyId), eq(idempotencyKeys.key, key));
  return {
    async reserve(apiKeyId, key, requestHash, at) {
      // ON CONFLICT DO NOTHING: of two concurrent requests with one key, exactly one inserts.
      const inserted = await db
        .insert(idempotencyKeys)
        .values({ apiKeyId, key, requestHash, createdAt: at })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      return inserted.length === 1;
    },
    async find(apiKeyId, key) {
      const [row] = await db.select().from(idempotencyKeys).where(where(apiKeyId, key)).limit(1);
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
      await db.update(idempotencyKeys).set({ statusCode, response }).where(where(apiKeyId, key));
    },
    async release(apiKeyId, key) {
      await db.delete(idempotencyKeys).where(and(where(apiKeyId, key), isNull(idempotencyKeys.statusCode)));
    },
    async takeOver(apiKeyId, key, createdBefore, at) {
      // One UPDATE with the condition in its WHERE: of two racing takers, only one matches the row.
      const taken = await db
        .update(idempotencyKeys)
        .set({ createdAt: at })
        .where(
          and(where(apiKeyId, key), isNull(idempotencyKeys.statusCode), lt(idempotencyKeys.createdAt, createdBefore)),
        )
        .returning({ key: idempotencyKeys.key });
      return taken.length === 1;
    },
  };
}
