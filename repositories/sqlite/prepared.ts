/**
 * A drizzle prepared query made on first use, not when the repository is made: its tables may not
 * exist yet (migrations run after the repositories are wired), and SQLite checks them on prepare.
 * The query runs on the same connection as the transaction around it, so it is part of it.
 */
export function prepareOnce<T>(prepare: () => T): () => T {
  let prepared: T | undefined;
  return () => (prepared ??= prepare());
}
