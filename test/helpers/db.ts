import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type OpenDatabase } from '../../db/client';

/** A real SQLite file in a temporary folder, migrated; remove() deletes it. */
export function tempDatabase(): OpenDatabase & { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ob-db-'));
  const path = join(dir, 'test.sqlite');
  const database = openDatabase(path);
  return {
    ...database,
    path,
    remove() {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
