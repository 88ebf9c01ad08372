import { defineConfig } from 'drizzle-kit';

/**
 * PostgreSQL migrations (db/pg/schema.ts → db/migrations-pg), separate from SQLite's drizzle.config.ts:
 *   npx drizzle-kit generate --config drizzle.pg.config.ts --name <what-changed>
 * Generating needs no server; db/pg/client.ts applies the folder when it opens a database.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/pg/schema.ts',
  out: './db/migrations-pg',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://localhost/openbanking' },
});
