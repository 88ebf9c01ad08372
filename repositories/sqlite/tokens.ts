import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { tokens } from '../../db/schema';
import type { TokenRepository } from '../tokens';

export function sqliteTokenRepository(db: Db): TokenRepository {
  return {
    async get(connectionId) {
      return db.select().from(tokens).where(eq(tokens.connectionId, connectionId)).get();
    },
    async put(row) {
      db.insert(tokens).values(row).onConflictDoUpdate({ target: tokens.connectionId, set: row }).run();
    },
    async delete(connectionId) {
      db.delete(tokens).where(eq(tokens.connectionId, connectionId)).run();
    },
  };
}
