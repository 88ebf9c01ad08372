/**
 * PostgreSQL for the tests: one throw-away server per test run (scripts/postgres.sh: Debian's
 * binaries, a temporary data directory, a free port, run as a non-root user), started by
 * test/global-setup.ts; each test file creates its own database on it.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'postgres.sh');
const run = promisify(execFile);

export interface TestPostgres {
  /** postgres://… of the server's first database. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a server, or throws an Error whose message says why it cannot (no binaries and no way to
 * install them, no `postgres` user to run as, …). Stopped on stop() or, failing that, at exit.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = join(tmpdir(), `openbanking-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  let url: string;
  try {
    const { stdout } = await run('bash', [SCRIPT, 'start', dir], {
      env: { ...process.env, QUIET: '1', POSTGRES_WATCH_PID: String(process.pid) },
    });
    url = stdout.trim().split('\n').pop() ?? '';
  } catch (err) {
    stopNow(dir);
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(stderr || (err as Error).message);
  }
  if (!url.startsWith('postgres://')) {
    stopNow(dir);
    throw new Error(`scripts/postgres.sh printed no URL (got "${url}")`);
  }
  // Should the run end without teardown (an uncaught error), the server still goes.
  const atExit = () => stopNow(dir);
  process.once('exit', atExit);
  return {
    url,
    async stop() {
      process.removeListener('exit', atExit);
      await run('bash', [SCRIPT, 'stop', dir]);
    },
  };
}

function stopNow(dir: string): void {
  try {
    execFileSync('bash', [SCRIPT, 'stop', dir], { stdio: 'ignore' });
  } catch {
    // Best effort: nothing more can be done at exit.
  }
}

/** A new, empty database on the server of `url`; drop() removes it (closing its connections). */
export async function createTestDatabase(
  url: string,
  prefix = 'test',
): Promise<{ url: string; drop(): Promise<void> }> {
  const run = process.env.TEST_POSTGRES_RUN ?? 'norun';
  const name = `${prefix}_${run}_${process.pid}_${randomBytes(4).toString('hex')}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  await withAdmin(url, (c) => c.query(`CREATE DATABASE "${name}"`));
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  return {
    url: dbUrl.toString(),
    async drop() {
      await withAdmin(url, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/**
 * Drops every database this test run created on the server of `url` (named with its run tag):
 * test files keep theirs until the end (test/helpers/backends.ts), which on the run's own server
 * go with its data directory, but not on a server given by TEST_POSTGRES_URL.
 */
export async function dropRunDatabases(url: string, run: string): Promise<void> {
  await withAdmin(url, async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      `select datname from pg_database where datname like '%\\_' || $1 || '\\_%'`,
      [run],
    );
    for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}

async function withAdmin(url: string, fn: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}
