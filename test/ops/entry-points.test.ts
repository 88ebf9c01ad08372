/**
 * The entry points under a process manager: `npm run <script>` must hand SIGTERM to the real
 * process (the scripts exec node, so no shell or tsx parent is left in between), and start-up
 * refuses our own misconfiguration with exit code 2, naming the variable or the file.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateKeySpec } from '../../secrets/token-cipher';
import { generateSandboxCertificates } from '../../xs2a/certs';

const ROOT = resolve(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'entry-points-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function npmRun(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    execFile('npm', ['run', '-s', script], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      res({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: stdout + stderr }),
    );
  });
}

const portOpen = (port: number) =>
  new Promise<boolean>((res) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      res(true);
    });
    socket.once('error', () => res(false));
  });

describe('entry points under a process manager', () => {
  it('SIGTERM to `npm run sandbox` stops the node process itself: no orphan keeps serving', async () => {
    const child = spawn('npm', ['run', '-s', 'sandbox'], {
      cwd: ROOT,
      env: {
        ...process.env,
        SANDBOX_BEC_PORT: '0',
        SANDBOX_ROCKER_PORT: '0',
        SANDBOX_ST1_PORT: '0',
        SANDBOX_ADMIN_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, to check that nothing of it is left
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const deadline = Date.now() + 30_000;
    while (!/Ctrl-C stops/.test(output)) {
      if (Date.now() > deadline) throw new Error(`the sandbox did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const port = Number(/BEC\s+https:\/\/127\.0\.0\.1:(\d+)/.exec(output)![1]);
    expect(await portOpen(port)).toBe(true);

    child.kill('SIGTERM'); // npm's pid only, as a process manager would
    expect(await exited).toBe(0);
    const gone = Date.now() + 5_000;
    while (await portOpen(port)) {
      if (Date.now() > gone) throw new Error('the sandbox still serves after SIGTERM to npm');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Nothing of its process group is left (helpers such as tsx's esbuild service exit a moment later).
    const groupAlive = () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    const empty = Date.now() + 5_000;
    while (groupAlive() && Date.now() < empty) await new Promise((r) => setTimeout(r, 100));
    expect(() => process.kill(-child.pid!, 0)).toThrowError(/ESRCH/);
  }, 45_000);

  it('the worker refuses to start with exit code 2 on a BANK_CA_PATH that is not PEM, naming it', async () => {
    const certs = generateSandboxCertificates();
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const { code, out } = await npmRun('worker', {
      TOKEN_ENCRYPTION_KEYS: generateKeySpec('k1'),
      DATABASE_PATH: join(dir, 'db.sqlite'),
      BANK_PROFILES_FILE: file(
        'banks.json',
        JSON.stringify([{ preset: 'bec', bankId: '0400', environment: 'sandbox' }]),
      ),
      QWAC_CERT_PATH: file('qwac.pem', certs.qwac.certificatePem),
      QWAC_KEY_PATH: file('qwac.key', certs.qwac.privateKeyPem),
      QSEAL_CERT_PATH: file('qseal.pem', certs.qseal.certificatePem),
      QSEAL_KEY_PATH: file('qseal.key', certs.qseal.privateKeyPem),
      BANK_CA_PATH: file('ca.der', 'not a certificate'),
    });
    expect(out).toContain(`BANK_CA_PATH ${join(dir, 'ca.der')}: holds no PEM certificate`);
    expect(code).toBe(2);
  }, 30_000);

  it('the API refuses to start with exit code 2 in production without PUBLIC_BASE_URL, naming it', async () => {
    const { code, out } = await npmRun('api', { NODE_ENV: 'production', TOKEN_ENCRYPTION_KEYS: generateKeySpec('k1') });
    expect(out).toContain('PUBLIC_BASE_URL: is required in production');
    expect(code).toBe(2);
  }, 30_000);

  it('the API stops at start-up when the PostgreSQL of DATABASE_URL cannot be opened, naming DATABASE_URL', async () => {
    const profiles = join(dir, 'banks.yaml');
    writeFileSync(
      profiles,
      'banks:\n  - { preset: bec, bankId: "0400", environment: sandbox, baseUrl: "https://127.0.0.1:1/psd2/0400" }\n',
    );
    const { code, out } = await npmRun('api', {
      TOKEN_ENCRYPTION_KEYS: generateKeySpec('k1'),
      BANK_PROFILES_FILE: profiles,
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      // Never reached: the database comes first.
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      LOG_LEVEL: 'silent',
    });
    expect(out).toMatch(/api failed: PostgreSQL \(DATABASE_URL\) could not be opened/);
    expect(out).not.toContain('Temporal');
    expect(code).toBe(1);
  }, 30_000);
});
