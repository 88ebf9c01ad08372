import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { cachePreparedStatements } from '../../db/statement-cache';

describe('prepared statement cache', () => {
  let sqlite: Database.Database;
  afterEach(() => sqlite?.close());

  const open = (capacity?: number) => {
    sqlite = new Database(':memory:');
    cachePreparedStatements(sqlite, capacity);
    sqlite.exec("create table t (a integer, b text); insert into t values (1, 'x'), (2, 'y')");
    return sqlite;
  };

  it('hands out the same statement for the same SQL, with row modes reset', () => {
    const db = open();
    const first = db.prepare('select a, b from t order by a');
    expect(first.raw().all()).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
    const again = db.prepare('select a, b from t order by a');
    expect(again).toBe(first);
    // drizzle runs some queries raw and others not: a reused statement must not stay raw.
    expect(again.all()).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    expect(db.prepare('select a from t order by a').pluck().all()).toEqual([1, 2]);
    expect(db.prepare('select a from t order by a').get()).toEqual({ a: 1 });
    // Writers are cached too.
    expect(db.prepare('insert into t values (?, ?)')).toBe(db.prepare('insert into t values (?, ?)'));
  });

  it('does not share a statement that is still being iterated', () => {
    const db = open();
    const outer = db.prepare('select a from t order by a');
    const seen: number[] = [];
    for (const row of outer.iterate() as Iterable<{ a: number }>) {
      const inner = db.prepare('select a from t order by a');
      expect(inner).not.toBe(outer);
      seen.push(row.a, ...inner.pluck().all().map(Number));
    }
    expect(seen).toEqual([1, 1, 2, 2, 1, 2]);
  });

  it('does not keep statements of long SQL (the one-off multi-row inserts, whose statements are large)', () => {
    const db = open();
    const long = `insert into t values ${Array.from({ length: 400 }, (_, i) => `(${i}, 'row ${i}')`).join(', ')}`;
    expect(long.length).toBeGreaterThan(4096);
    expect(db.prepare(long)).not.toBe(db.prepare(long));
  });

  it('keeps at most `capacity` statements, dropping the least recently used', () => {
    const db = open(2);
    const a = db.prepare('select 1');
    const b = db.prepare('select 2');
    expect(db.prepare('select 1')).toBe(a); // a is now the most recent
    db.prepare('select 3'); // evicts b
    expect(db.prepare('select 1')).toBe(a);
    expect(db.prepare('select 2')).not.toBe(b);
  });
});
