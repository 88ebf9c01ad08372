import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema';
import { cachePreparedStatements } from './statement-cache';

export type Db = BetterSQLite3Database<typeof schema>;

export interface OpenDatabase {
  db: Db;
  sqlite: Database.Database;
  close(): void;
}

export const MIGRATIONS_FOLDER = join(__dirname, 'migrations');

/**
 * Opens the SQLite file with the settings every process needs: WAL so the API
 * reads while the worker writes, and a busy timeout so concurrent writers wait
 * instead of failing with SQLITE_BUSY. Migrations run on open.
 */
export function openDatabase(path: string, options: { migrate?: boolean } = {}): OpenDatabase {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  cachePreparedStatements(sqlite);
  const db = drizzle(sqlite, { schema });
  if (options.migrate !== false) migrateOnce(db);
  return { db, sqlite, close: () => sqlite.close() };
}

/**
 * drizzle reads the applied migrations before its transaction, so two processes opening a
 * new file at once (API and worker) can both try 0000: the loser sees "already exists".
 * Trying again reads the winner's bookkeeping and has nothing left to do.
 */
function migrateOnce(db: Db): void {
  for (let attempt = 1; ; attempt++) {
    try {
      migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200 * attempt);
    }
  }
}
