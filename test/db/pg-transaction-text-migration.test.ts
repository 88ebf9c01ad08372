/**
 * The PostgreSQL twin of transaction-text-migration.test.ts: db/migrations-pg's
 * webhooks_and_transaction_text backfills the transaction text as SQLite's 0003_transaction_text does.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { describe, expect, inject, it } from 'vitest';
import { openPostgres, PG_MIGRATIONS_FOLDER } from '../../db/pg/client';
import { transactions } from '../../db/pg/schema';
import { createTestDatabase } from '../helpers/postgres';

interface Journal {
  entries: { idx: number; tag: string }[];
}

/** A copy of the migrations folder that stops just before the transaction text migration. */
function migrationsBeforeTransactionText(dir: string): string {
  const journal = JSON.parse(readFileSync(join(PG_MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as Journal;
  const at = journal.entries.findIndex((e) => e.tag.endsWith('_transaction_text'));
  expect(at).toBeGreaterThan(0);
  const folder = join(dir, 'migrations');
  mkdirSync(join(folder, 'meta'), { recursive: true });
  const entries = journal.entries.slice(0, at);
  for (const e of entries) copyFileSync(join(PG_MIGRATIONS_FOLDER, `${e.tag}.sql`), join(folder, `${e.tag}.sql`));
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }));
  return folder;
}

const postgresUrl = inject('postgresUrl');
describe.skipIf(!postgresUrl)(
  `migration on PostgreSQL: transaction text${postgresUrl ? '' : ` (skipped: ${inject('postgresUnavailable')})`}`,
  () => {
    it('backfills additionalInformation from what the bank sent, and BEC descriptions from it', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pg-tx-text-migration-'));
      const database = await createTestDatabase(postgresUrl!, 'txtext');
      try {
        const old = await openPostgres(database.url, { migrate: false, max: 1 });
        try {
          await migrate(old.db, { migrationsFolder: migrationsBeforeTransactionText(dir) });
          await old.pool.query(`
            INSERT INTO connections (id, customer_id, aspsp_id, status, redirect_url)
              VALUES ('con_bec', 'c1', 'bec', 'active', 'https://p.example/'),
                     ('con_enf', 'c1', 'enfuce-rocker', 'active', 'https://p.example/');
            INSERT INTO accounts (id, connection_id, resource_id, kind, currency)
              VALUES ('acc_bec', 'con_bec', 'r1', 'account', 'DKK'), ('acc_enf', 'con_enf', 'r2', 'card-account', 'SEK');
            INSERT INTO transactions (id, account_id, fingerprint, booking_status, date, amount, currency, remittance_information, raw, first_seen_at, updated_at)
              VALUES
                ('t1', 'acc_bec', 'f1', 'booked', '2026-11-01', '-45.00', 'DKK', NULL, '{"additionalInformation":"Netto Aarhus"}', 1, 1),
                ('t2', 'acc_bec', 'f2', 'booked', '2026-11-02', '-10.00', 'DKK', 'Husleje', '{"additionalInformation":"Overførsel"}', 1, 1),
                ('t3', 'acc_enf', 'f3', 'booked', '2026-11-03', '-5.50', 'SEK', 'Coffee shop', '{"transactionDetails":"Coffee shop"}', 1, 1),
                ('t4', 'acc_enf', 'f4', 'booked', '2026-11-04', '-1.00', 'SEK', NULL, '{"additionalInformation":"not BEC"}', 1, 1),
                ('t5', 'acc_bec', 'f5', 'booked', '2026-11-05', '-2.00', 'DKK', NULL, '{"additionalInformation":{"not":"text"}}', 1, 1);
          `);
        } finally {
          await old.close();
        }

        const current = await openPostgres(database.url, { max: 1 });
        try {
          const rows = await current.db
            .select({
              id: transactions.id,
              description: transactions.description,
              additionalInformation: transactions.additionalInformation,
            })
            .from(transactions)
            .orderBy(asc(transactions.id));
          expect(rows).toEqual([
            { id: 't1', description: 'Netto Aarhus', additionalInformation: 'Netto Aarhus' },
            { id: 't2', description: 'Husleje', additionalInformation: 'Overførsel' },
            { id: 't3', description: 'Coffee shop', additionalInformation: null },
            { id: 't4', description: null, additionalInformation: 'not BEC' },
            { id: 't5', description: null, additionalInformation: null },
          ]);
        } finally {
          await current.close();
        }
      } finally {
        await database.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
