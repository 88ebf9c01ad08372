import type Database from 'better-sqlite3';

const MAX_CACHED_SQL_LENGTH = 4096;

/**
 * Reuses prepared statements by SQL text. drizzle prepares every query it runs, and SQLite's
 * prepare is a measurable share of a sync's CPU (the same couple of dozen statements, every sync).
 * A cached statement is handed out with its row modes reset, since drizzle switches `raw()` on per
 * call; one still being iterated is not shared. Least recently used statements go first, and SQL
 * longer than 4 KB is not kept (a 500-row insert's statement holds hundreds of KB).
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
    // Long texts are the one-off ones (multi-row inserts, long IN lists), and their statements are large.
    if (!cached && source.length <= MAX_CACHED_SQL_LENGTH) {
      cache.set(source, statement);
      if (cache.size > capacity) cache.delete(cache.keys().next().value!);
    }
    return statement;
  }) as typeof sqlite.prepare;
}
