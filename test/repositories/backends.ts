/**
 * The repository backends the contract tests run against (test/helpers/backends.ts): SQLite always,
 * PostgreSQL when the run's server started (otherwise the reason is in the suite's name).
 */
import { openTestDb, testBackends, type BackendCase, type TestDb } from '../helpers/backends';

export { title, type TableName } from '../helpers/backends';
export type Backend = TestDb;

export function backends(): (BackendCase & { open(): Promise<Backend> })[] {
  return testBackends().map((c) => ({ ...c, open: () => openTestDb(c.name) }));
}
