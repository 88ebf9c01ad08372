/**
 * The repository backends the contract tests run against: SQLite (always) and PostgreSQL (when the
 * run's server started; otherwise the reason is in the suite's name). Each gives the repositories
 * and a way to seed rows with the same column names, since db/schema.ts and db/pg/schema.ts agree.
 */
import { inject } from 'vitest';
import { openPostgres } from '../../db/pg/client';
import * as pgSchema from '../../db/pg/schema';
import * as sqliteSchema from '../../db/schema';
import type { Repositories } from '../../repositories';
import { pgRepositories } from '../../repositories/pg';
import { sqliteRepositories } from '../../repositories/sqlite';
import { tempDatabase } from '../helpers/db';
import { createTestDatabase } from '../helpers/postgres';

export type TableName =
  | 'connections'
  | 'consents'
  | 'accounts'
  | 'balances'
  | 'balanceHistory'
  | 'transactions'
  | 'apiKeys'
  | 'idempotencyKeys'
  | 'webhookEndpoints'
  | 'webhookEvents'
  | 'webhookDeliveries';

export interface Backend {
  repositories: Repositories;
  insert(table: TableName, rows: Record<string, unknown>[]): Promise<void>;
  /** Every row of a table, for what the repositories do not show (an endpoint's secrets). */
  select(table: TableName): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface BackendCase {
  name: string;
  /** Why the backend's tests are skipped, or undefined when they run. */
  skip: string | undefined;
  open(): Promise<Backend>;
}

export function backends(): BackendCase[] {
  const postgresUrl = inject('postgresUrl');
  return [
    {
      name: 'sqlite',
      skip: undefined,
      async open() {
        const database = tempDatabase();
        return {
          repositories: sqliteRepositories(database.db),
          async insert(table, rows) {
            database.db
              .insert(sqliteSchema[table] as any)
              .values(rows)
              .run();
          },
          async select(table) {
            return database.db
              .select()
              .from(sqliteSchema[table] as any)
              .all();
          },
          async close() {
            database.remove();
          },
        };
      },
    },
    {
      name: 'postgres',
      skip: postgresUrl ? undefined : (inject('postgresUnavailable') ?? 'PostgreSQL is not available'),
      async open() {
        const database = await createTestDatabase(postgresUrl!, 'repos');
        const pg = await openPostgres(database.url, { max: 4 });
        return {
          repositories: pgRepositories(pg.db),
          async insert(table, rows) {
            await pg.db.insert(pgSchema[table] as any).values(rows);
          },
          async select(table) {
            return await pg.db.select().from(pgSchema[table] as any);
          },
          async close() {
            await pg.close();
            await database.drop();
          },
        };
      },
    },
  ];
}

/** describe.each's title: the backend, and why it is skipped when it is. */
export const title = (c: BackendCase) => (c.skip ? `${c.name} (skipped: ${c.skip})` : c.name);
