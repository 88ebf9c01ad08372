import type { Env } from '../config/env';
import { openDatabase, type OpenDatabase } from '../db/client';
import { openPostgres } from '../db/pg/client';
import type { Logger } from '../logging/logger';
import type { Repositories } from '../repositories';
import type { BankRequestSlotRepository } from '../repositories/bank-request-slots';
import { pgBankRequestSlots } from '../repositories/pg/bank-request-slots';
import { sqliteBankRequestSlots } from '../repositories/sqlite/bank-request-slots';
import { deferredRepositories } from '../repositories/deferred';
import { pgRepositories } from '../repositories/pg';
import { sqliteRepositories } from '../repositories/sqlite';

/** Where the service stores everything: SQLite (DATABASE_PATH, the default) or PostgreSQL (DATABASE_URL). */
export interface Storage {
  backend: 'sqlite' | 'postgres';
  repositories: Repositories;
  /** Each rate-limited bank's request slots, shared by every worker process on this database. */
  bankRequestSlots: BankRequestSlotRepository;
  /**
   * Resolves once the database is open and migrated, rejects with why it cannot be. PostgreSQL
   * opens in the background (calls to the repositories wait for it); SQLite is open already.
   */
  ready: Promise<void>;
  /** The SQLite database, when that is the backend. */
  sqlite?: OpenDatabase;
  /** Closes what this opened (a SQLite database given open stays open). */
  close(): Promise<void>;
}

export interface StorageOptions {
  /** SQLite only. Default: env.DATABASE_PATH; a database given open is used as it is. */
  database?: string | OpenDatabase;
  /** PostgreSQL only: the pool's size (default 10). */
  poolSize?: number;
}

/**
 * Picks the backend once, from DATABASE_URL: the only place that opens a database for the
 * service (the API, the worker, npm start, the api-key CLI). Migrations run on open, on both.
 */
export function openStorage(
  env: Pick<Env, 'DATABASE_URL' | 'DATABASE_PATH'>,
  logger: Logger,
  options: StorageOptions = {},
): Storage {
  if (env.DATABASE_URL) {
    const opening = openPostgres(env.DATABASE_URL, { max: options.poolSize });
    const ready = opening.then(
      () => undefined,
      (err: Error) => {
        logger.error({ err }, 'PostgreSQL (DATABASE_URL) could not be opened');
        throw new Error(`PostgreSQL (DATABASE_URL) could not be opened: ${err.message}`, { cause: err });
      },
    );
    // Whoever waits for it hears the failure; nobody waiting must not make it an unhandled rejection.
    ready.catch(() => {});
    const slots = opening.then((pg) => pgBankRequestSlots(pg.db));
    slots.catch(() => {});
    return {
      backend: 'postgres',
      repositories: deferredRepositories(opening.then((pg) => pgRepositories(pg.db))),
      // Workers on every machine pace each bank on PostgreSQL's clock.
      bankRequestSlots: { reserve: async (request) => (await slots).reserve(request) },
      ready,
      close: () => opening.then((pg) => pg.close()).catch(() => undefined),
    };
  }
  const owned = typeof options.database !== 'object';
  const sqlite =
    typeof options.database === 'object' ? options.database : openDatabase(options.database ?? env.DATABASE_PATH);
  return {
    backend: 'sqlite',
    repositories: sqliteRepositories(sqlite.db),
    bankRequestSlots: sqliteBankRequestSlots(sqlite.db),
    ready: Promise.resolve(),
    sqlite,
    async close() {
      if (owned) sqlite.close();
    },
  };
}
