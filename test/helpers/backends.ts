/**
 * The storage backends tests run against: SQLite (always) and PostgreSQL (when the run's server
 * started, test/global-setup.ts; otherwise the suite is skipped with the reason in its name).
 * A TestDb seeds and inspects rows with the same table and column names on both, since
 * db/schema.ts and db/pg/schema.ts agree.
 */
import { and, eq, getTableColumns, type SQL } from 'drizzle-orm';
import { describe, inject } from 'vitest';
import type { OpenDatabase } from '../../db/client';
import { openPostgres } from '../../db/pg/client';
import * as pgSchema from '../../db/pg/schema';
import * as sqliteSchema from '../../db/schema';
import type { Repositories } from '../../repositories';
import { pgRepositories } from '../../repositories/pg';
import { sqliteRepositories } from '../../repositories/sqlite';
import { tempDatabase } from './db';
import { createTestDatabase } from './postgres';

export type BackendName = 'sqlite' | 'postgres';

export type TableName = {
  [K in keyof typeof sqliteSchema]: (typeof sqliteSchema)[K] extends { $inferSelect: object } ? K : never;
}[keyof typeof sqliteSchema];
export type Row<T extends TableName> = (typeof sqliteSchema)[T]['$inferSelect'];

export interface TestDb {
  backend: BackendName;
  repositories: Repositories;
  /** What a process opens to reach this database: the SQLite file, or the PostgreSQL URL. */
  databasePath?: string;
  databaseUrl?: string;
  /** SQLite: the open database (a stack's root shares it). */
  sqlite?: OpenDatabase & { path: string };
  insert(table: TableName, rows: Record<string, unknown>[]): Promise<void>;
  /** The rows whose columns equal `where`'s values (all rows without it). */
  select<T extends TableName>(table: T, where?: Partial<Row<T>>): Promise<Row<T>[]>;
  update<T extends TableName>(table: T, where: Partial<Row<T>>, set: Partial<Row<T>>): Promise<void>;
  /** Runs SQL as it is (in this backend's dialect). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface BackendCase {
  name: BackendName;
  /** Why the backend's tests are skipped, or undefined when they run. */
  skip: string | undefined;
}

export function testBackends(): BackendCase[] {
  const postgresUrl = inject('postgresUrl');
  return [
    { name: 'sqlite', skip: undefined },
    {
      name: 'postgres',
      skip: postgresUrl ? undefined : (inject('postgresUnavailable') ?? 'PostgreSQL is not available'),
    },
  ];
}

/** A suite's title with the backend, and why it is skipped when it is. */
export const title = (c: BackendCase) => (c.skip ? `${c.name}, skipped: ${c.skip}` : c.name);

/**
 * describe.each over the backends that run, `fn` given the backend's name; a backend that cannot
 * run (PostgreSQL not started) shows as a skipped suite naming why.
 */
export function describeEachBackend(name: string, fn: (backend: BackendName) => void): void {
  const cases = testBackends();
  const running = cases.filter((c) => !c.skip).map((c) => c.name);
  describe.each(running)(`${name} [%s]`, fn);
  for (const c of cases.filter((c) => c.skip)) describe.skip(`${name} [${title(c)}]`, () => fn(c.name));
}

function where(table: Record<string, unknown>, values: Record<string, unknown>): SQL | undefined {
  const columns = getTableColumns(table as never) as Record<string, never>;
  return and(...Object.entries(values).map(([k, v]) => eq(columns[k], v)));
}

/** A new, migrated SQLite file, removed on close. */
export function sqliteTestDb(): TestDb {
  const database = tempDatabase();
  const table = (name: TableName) => sqliteSchema[name] as any;
  return {
    backend: 'sqlite',
    repositories: sqliteRepositories(database.db),
    databasePath: database.path,
    sqlite: database,
    async insert(name, rows) {
      database.db.insert(table(name)).values(rows).run();
    },
    async select(name, values = {}) {
      return database.db
        .select()
        .from(table(name))
        .where(where(table(name), values))
        .all() as any;
    },
    async update(name, values, set) {
      database.db
        .update(table(name))
        .set(set)
        .where(where(table(name), values))
        .run();
    },
    async exec(sql) {
      database.sqlite.exec(sql);
    },
    async close() {
      database.remove();
    },
  };
}

let shared: Promise<string> | undefined;

/**
 * This test file's PostgreSQL database (one per file: vitest runs each file in its own process),
 * created and migrated once; dropped with the run's other databases at its end (global setup).
 */
export function testPostgresDatabase(): Promise<string> {
  const url = inject('postgresUrl');
  if (!url) throw new Error(`PostgreSQL is not available: ${inject('postgresUnavailable')}`);
  shared ??= createTestDatabase(url, 'file').then(async (database) => {
    await (await openPostgres(database.url, { max: 1 })).close();
    return database.url;
  });
  return shared;
}

/** A TestDb on a PostgreSQL database: a new one, dropped on close, unless `url` names one. */
export async function pgTestDb(url?: string): Promise<TestDb> {
  const own = url ? undefined : await createTestDatabase(inject('postgresUrl')!, 'repos');
  const pg = await openPostgres(url ?? own!.url, { max: 4 });
  const table = (name: TableName) => pgSchema[name] as any;
  return {
    backend: 'postgres',
    repositories: pgRepositories(pg.db),
    databaseUrl: url ?? own!.url,
    async insert(name, rows) {
      await pg.db.insert(table(name)).values(rows);
    },
    async select(name, values = {}) {
      return (await pg.db
        .select()
        .from(table(name))
        .where(where(table(name), values))) as any;
    },
    async update(name, values, set) {
      await pg.db
        .update(table(name))
        .set(set)
        .where(where(table(name), values));
    },
    async exec(sql) {
      await pg.pool.query(sql);
    },
    async close() {
      await pg.close();
      await own?.drop();
    },
  };
}

export function openTestDb(backend: BackendName): Promise<TestDb> {
  return backend === 'sqlite' ? Promise.resolve(sqliteTestDb()) : pgTestDb();
}
