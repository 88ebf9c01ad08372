import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, openDatabase } from '../../db/client';
import { authorisations } from '../../db/schema';

interface Journal {
  entries: { idx: number; tag: string }[];
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the migrations folder that stops just before the SCA sessions migration. */
function migrationsBeforeScaSessions(dir: string): string {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as Journal;
  const at = journal.entries.findIndex((e) => e.tag.endsWith('_sca_sessions'));
  expect(at).toBeGreaterThan(0);
  const folder = join(dir, 'migrations');
  mkdirSync(join(folder, 'meta'), { recursive: true });
  const entries = journal.entries.slice(0, at);
  for (const e of entries) copyFileSync(join(MIGRATIONS_FOLDER, `${e.tag}.sql`), join(folder, `${e.tag}.sql`));
  writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }));
  return folder;
}

describe('migration: authorisations become SCA sessions', () => {
  it('keeps an existing authorisation as a connection session and then accepts a payment session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sca-migration-'));
    dirs.push(dir);
    const path = join(dir, 'db.sqlite');

    // The database as the previous release left it: one connection, consent and pending authorisation.
    const old = openDatabase(path, { migrate: false });
    const { migrate } = await import('drizzle-orm/better-sqlite3/migrator');
    migrate(old.db, { migrationsFolder: migrationsBeforeScaSessions(dir) });
    old.sqlite.exec(`
      INSERT INTO connections (id, customer_id, aspsp_id, status, redirect_url)
        VALUES ('con_1', 'cust_1', 'bec-0400', 'awaiting_authorisation', 'https://product.example/done');
      INSERT INTO consents (id, connection_id, bank_consent_id, status, valid_until, frequency_per_day, recurring_indicator)
        VALUES ('cns_1', 'con_1', 'bank-consent-1', 'received', '2027-01-01', 4, 1);
      INSERT INTO authorisations (id, connection_id, consent_id, state_hash, key_id, code_verifier_enc, outcome, psu_ip_address, expires_at, created_at)
        VALUES ('auth_1', 'con_1', 'cns_1', 'hash-1', 'k1', 'verifier-enc', 'pending', '192.0.2.1', 1800000000000, 1700000000000);
    `);
    old.close();

    // Opening it with this release runs the rest of the migrations (later ones may add columns: match, not equal).
    const current = openDatabase(path);
    try {
      const row = current.db.select().from(authorisations).where(eq(authorisations.id, 'auth_1')).get();
      expect(row).toMatchObject({
        id: 'auth_1',
        subjectType: 'connection',
        subjectId: 'con_1',
        connectionId: 'con_1',
        consentId: 'cns_1',
        stateHash: 'hash-1',
        keyId: 'k1',
        codeVerifierEnc: 'verifier-enc',
        codeEnc: null,
        outcome: 'pending',
        error: null,
        psuIpAddress: '192.0.2.1',
        expiresAt: 1800000000000,
        completedAt: null,
        createdAt: 1700000000000,
      });
      expect(current.sqlite.pragma('foreign_key_check')).toEqual([]);
      const indexes = (current.sqlite.pragma('index_list(authorisations)') as { name: string; unique: number }[]).map(
        (i) => [i.name, i.unique],
      );
      expect(indexes).toEqual(
        expect.arrayContaining([
          ['authorisations_state', 1],
          ['authorisations_subject', 0],
        ]),
      );

      // A payment's session has no connection or consent.
      current.db
        .insert(authorisations)
        .values({
          id: 'auth_2',
          subjectType: 'payment',
          subjectId: 'pay_1',
          stateHash: 'hash-2',
          keyId: 'k1',
          expiresAt: 1800000000000,
        })
        .run();
      const payment = current.db.select().from(authorisations).where(eq(authorisations.id, 'auth_2')).get();
      expect(payment).toMatchObject({
        subjectType: 'payment',
        subjectId: 'pay_1',
        connectionId: null,
        consentId: null,
      });
      // The state hash stays unique across subjects.
      expect(() =>
        current.db
          .insert(authorisations)
          .values({
            id: 'auth_3',
            subjectType: 'payment',
            subjectId: 'pay_2',
            stateHash: 'hash-1',
            keyId: 'k1',
            expiresAt: 1,
          })
          .run(),
      ).toThrow(/UNIQUE/);
    } finally {
      current.close();
    }
  });
});
