import type Database from 'better-sqlite3';

/**
 * Reuses prepared statements by SQL text. drizzle prepares every query it runs, and SQLite's
 * prepare is a measurable share of a sync's CPU (the same couple of dozen statements, every sync).
 * A cached statement is handed out with its row modes reset, since drizzle switches `raw()` on per
 * call; one still being iterated is not shared. Least recently used statements go first.
 */
export function cachePreparedStatements(sqlite: Database.Database, capacity = 256): void {
  const prepare = sqlite.prepare.bind(sqlite) as (source: string) => Database.Statement;
  const cache = new Map<string, Database.Statement>();
  sqlite.prepare = ((source: string) => {
    const cached = cache.get(source);
    if (cached && !cached.busy) {
      cache.delete(source);
      cache.set(source, cached);
      if (cached.reader) cached.raw(false).pluck(false).expand(false);
      return cached;
    }
    const statement = prepare(source);
    if (!cached) {
      cache.set(source, statement);
      if (cache.size > capacity) cache.delete(cache.keys().next().value!);
    }
    return statement;
  }) as typeof sqlite.prepare;
}
