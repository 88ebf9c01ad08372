import { eq } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { tokens } from '../../db/pg/schema';
import type { TokenRepository } from '../tokens';

export function pgTokenRepository(db: PgDb): TokenRepository {
  return {
    async get(connectionId) {
      const [row] = await db.select().from(tokens).where(eq(tokens.connectionId, connectionId)).limit(1);
      return row;
    },
    async put(row) {
      await db.insert(tokens).values(row).onConflictDoUpdate({ target: tokens.connectionId, set: row });
    },
    async delete(connectionId) {
      await db.delete(tokens).where(eq(tokens.connectionId, connectionId));
    },
  };
}
