/**
 * db/pg/schema.ts mirrors db/schema.ts (checked without a server), its migrations create exactly
 * that schema, and processes opening one new database at once migrate it once (advisory lock).
 */
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, inject, it } from 'vitest';
import { openPostgres } from '../../db/pg/client';
import * as pgSchema from '../../db/pg/schema';
import * as sqliteSchema from '../../db/schema';
import { createTestDatabase } from '../helpers/postgres';

interface Shape {
  columns: string[];
  notNull: string[];
  primaryKey: string[];
  indexes: string[];
}

type TableConfig = ReturnType<typeof sqliteTableConfig> | ReturnType<typeof pgTableConfig>;

function shape(c: TableConfig): Shape {
  const names = (columns: { name: string }[]) => columns.map((x) => x.name);
  return {
    columns: names(c.columns).sort(),
    notNull: names(c.columns.filter((x) => x.notNull)).sort(),
    primaryKey: [...names(c.columns.filter((x) => x.primary)), ...c.primaryKeys.flatMap((p) => names(p.columns))],
    indexes: c.indexes
      .map((i) => `${i.config.name}${i.config.unique ? ' unique' : ''}(${names(i.config.columns as any).join(',')})`)
      .sort(),
  };
}

function sqliteShapes(): Record<string, Shape> {
  const tables = Object.values(sqliteSchema).filter((t) => t instanceof SQLiteTable);
  return Object.fromEntries(tables.map((t) => [sqliteTableConfig(t).name, shape(sqliteTableConfig(t))]));
}

function pgShapes(): Record<string, Shape> {
  const tables = Object.values(pgSchema).filter((t) => t instanceof PgTable);
  return Object.fromEntries(tables.map((t) => [pgTableConfig(t).name, shape(pgTableConfig(t))]));
}

describe('PostgreSQL schema', () => {
  it('has the tables, columns, keys and indexes of the SQLite schema (add new tables to db/pg/schema.ts too)', () => {
    expect(pgShapes()).toEqual(sqliteShapes());
  });

  const postgresUrl = inject('postgresUrl');
  describe.skipIf(!postgresUrl)(
    `migrations on PostgreSQL${postgresUrl ? '' : ` (skipped: ${inject('postgresUnavailable')})`}`,
    () => {
      it('are applied once when several processes open a new database at once, and create every table', async () => {
        const database = await createTestDatabase(postgresUrl!, 'migrate');
        try {
          const opened = await Promise.all(Array.from({ length: 4 }, () => openPostgres(database.url, { max: 2 })));
          try {
            const pool = opened[0].pool;
            const applied = await pool.query('select count(*)::int as n from drizzle.__drizzle_migrations');
            const journal = (await import('../../db/migrations-pg/meta/_journal.json')).entries;
            expect(applied.rows[0].n).toBe(journal.length);
            const tables = await pool.query<{ table_name: string }>(
              `select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
            );
            expect(tables.rows.map((r) => r.table_name)).toEqual(Object.keys(sqliteShapes()).sort());
            // Opening again is a no-op.
            const again = await openPostgres(database.url, { max: 1 });
            await again.close();
          } finally {
            await Promise.all(opened.map((o) => o.close()));
          }
        } finally {
          await database.drop();
        }
      });
    },
  );
});
