import { join } from 'node:path';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { Pool, type PoolConfig } from 'pg';
import * as schema from './schema';

export type PgDb = NodePgDatabase<typeof schema>;

export interface OpenPostgres {
  db: PgDb;
  pool: Pool;
  close(): Promise<void>;
}

export const PG_MIGRATIONS_FOLDER = join(__dirname, '..', 'migrations-pg');

/** Any constant shared by every process that migrates this schema: pg_advisory_lock's key. */
const MIGRATION_LOCK_KEY = 0x0b4e_2a11;

export interface OpenPostgresOptions {
  /** Default true: apply db/migrations-pg before returning. */
  migrate?: boolean;
  /** The pool's size (default 10). */
  max?: number;
  /** Over the pool's other settings. */
  pool?: PoolConfig;
}

/**
 * Opens a node-postgres pool on `url` (postgres://…) and applies the migrations, holding a
 * session-level advisory lock meanwhile: API and worker processes opening one new database at
 * once take turns, and the later ones find nothing left to do.
 */
export async function openPostgres(url: string, options: OpenPostgresOptions = {}): Promise<OpenPostgres> {
  const pool = new Pool({ connectionString: url, max: options.max ?? 10, ...options.pool });
  // An idle client's error (the server restarting) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    if (options.migrate !== false) await migrateLocked(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const db = drizzle({ client: pool, schema });
  return { db, pool, close: () => pool.end() };
}

async function migrateLocked(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle({ client, schema }), { migrationsFolder: PG_MIGRATIONS_FOLDER });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
