/**
 * The production path, as an operator runs it from the README: build, the sandbox banks as their
 * own process (standing in for the real banks), a Temporal server without our search attributes,
 * `ops temporal-setup`, `ops enrol`, `ops doctor`, then the worker and the API as separate
 * processes from dist/ with a profiles file of two BEC member banks plus Rocker and ST1 (the API
 * without any bank key), a connection created and approved at each bank, and SIGTERM stopping both.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../api/auth/api-keys';
import { sqliteRepositories } from '../../repositories/sqlite';
import { openDatabase } from '../../db/client';
import { resolveSpecPath } from '../../sandbox/spec-validator';
import { generateKeySpec } from '../../secrets/token-cipher';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { inspectCertificate } from '../../xs2a/certs';
import { psuDecides } from '../helpers/psu';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => res(port));
    });
  });
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startProcess(name: string, script: string, env: NodeJS.ProcessEnv, cwd: string): Proc {
  const child = spawn(process.execPath, [join(DIST, script)], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  void name;
  return { child, output: () => output, exited };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, log = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'production-path-'));
let temporal: DevServer | undefined;
const procs: Proc[] = [];

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await temporal?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the production path', () => {
  let sandbox: Proc;
  let banks: { bec: string; rocker: string; st1: string; rockerKey: string; st1Key: string };
  const certDir = join(dir, 'var', 'sandbox-certs');
  let workerEnv: NodeJS.ProcessEnv;
  let apiEnv: NodeJS.ProcessEnv;
  let apiUrl: string;

  const ops = (command: string[], env: NodeJS.ProcessEnv) =>
    run(process.execPath, [join(DIST, 'ops', 'main.js'), ...command], { cwd: dir, env }).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );

  beforeAll(async () => {
    const [, devServer] = await Promise.all([
      run('npm', ['run', '-s', 'build'], { cwd: ROOT }),
      freePort().then((port) => startDevServer({ port, searchAttributes: false })),
    ]);
    temporal = devServer;

    sandbox = startProcess(
      'sandbox',
      'sandbox/main.js',
      {
        ...process.env,
        SANDBOX_BEC_PORT: '0',
        SANDBOX_ROCKER_PORT: '0',
        SANDBOX_ST1_PORT: '0',
        SANDBOX_ADMIN_PORT: '0',
        SANDBOX_SPEC_PATH: resolveSpecPath(),
        LOG_LEVEL: 'warn',
      },
      dir,
    );
    procs.push(sandbox);
    const text = await until(
      'the sandbox banks',
      async () => (/Ctrl-C stops/.test(sandbox.output()) ? sandbox.output() : undefined),
      30_000,
      sandbox.output,
    );
    const url = (label: string) => new RegExp(`${label}\\s+(https://\\S+)`).exec(text)![1];
    const key = (label: string) => new RegExp(`${label}\\s+\\S+\\s+X-API-Key (\\S+)`).exec(text)![1];
    banks = {
      bec: url('BEC').replace(/\/psd2\/\d+$/, ''),
      rocker: url('Enfuce Rocker'),
      st1: url('Enfuce ST1'),
      rockerKey: key('Enfuce Rocker'),
      st1Key: key('Enfuce ST1'),
    };

    const orgId = inspectCertificate(readFileSync(join(certDir, 'qwac.pem'), 'utf8')).organizationIdentifier!;
    const profiles = join(dir, 'banks.yaml');
    writeFileSync(
      profiles,
      [
        `- { preset: bec, bankId: '0400', environment: sandbox, baseUrl: '${banks.bec}/psd2/0400' }`,
        `- { preset: bec, bankId: '6140', environment: sandbox, baseUrl: '${banks.bec}/psd2/6140', name: Ringkjøbing Landbobank }`,
        `- { preset: enfuce, issuer: rocker, environment: sandbox, clientId: '${orgId}', apiKey: '${banks.rockerKey}', baseUrl: '${banks.rocker}' }`,
        `- { preset: enfuce, issuer: st1, environment: sandbox, clientId: '${orgId}', apiKey: '${banks.st1Key}', baseUrl: '${banks.st1}' }`,
      ].join('\n'),
    );
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    const common = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'openbanking',
      DATABASE_PATH: join(dir, 'openbanking.sqlite'),
      TOKEN_ENCRYPTION_KEYS: generateKeySpec('k1'),
      TEMPORAL_PAYLOAD_KEYS: generateKeySpec('p1'),
      PUBLIC_BASE_URL: apiUrl,
      BANK_PROFILES_FILE: profiles,
    };
    workerEnv = {
      ...common,
      QWAC_CERT_PATH: join(certDir, 'qwac.pem'),
      QWAC_KEY_PATH: join(certDir, 'qwac.key'),
      QSEAL_CERT_PATH: join(certDir, 'qseal.pem'),
      QSEAL_KEY_PATH: join(certDir, 'qseal.key'),
      BANK_CA_PATH: join(certDir, 'bank-server-ca.pem'),
    };
    // The API holds no bank key: no QWAC, QSEAL or bank CA at all.
    apiEnv = { ...common, API_HOST: '127.0.0.1', API_PORT: String(apiPort) };
  }, 120_000);

  it('ops: doctor names what is missing, temporal-setup creates it idempotently, enrol each BEC member bank, doctor passes', async () => {
    const before = await ops(['doctor'], workerEnv);
    expect(before.code).toBe(1);
    expect(before.out).toMatch(
      /FAIL Temporal: .*ConnectionStatus missing.* — fix: run `npm run -s ops -- temporal-setup`/,
    );
    expect(before.out).toMatch(
      /FAIL bec-0400 enrolment: the QSEAL is not enrolled — fix: run `npm run -s ops -- enrol`/,
    );

    // A worker started before temporal-setup refuses to start, naming the missing attributes and the fix.
    const early = startProcess('worker', 'worker/main.js', workerEnv, dir);
    expect(await early.exited).toBe(2);
    expect(early.output()).toMatch(/lacks search attributes the service writes: .*ConnectionStatus \(missing\)/);
    expect(early.output()).toContain('npm run -s ops -- temporal-setup');

    const setup = await ops(['temporal-setup'], workerEnv);
    expect(setup.code).toBe(0);
    expect(setup.out).toContain('created ConnectionStatus');
    const again = await ops(['temporal-setup'], workerEnv);
    expect(again.code).toBe(0);
    expect(again.out).not.toContain('created');
    expect(again.out).toContain('search attributes verified');

    const enrol = await ops(['enrol'], workerEnv);
    expect(enrol.code).toBe(0);
    expect(enrol.out).toMatch(/enrolled bec-0400 \(bank 0400\)/);
    expect(enrol.out).toMatch(/enrolled bec-6140 \(bank 6140\)/);

    const doctor = await ops(['doctor'], workerEnv);
    expect(doctor.out).toMatch(/all \d+ checks passed/);
    expect(doctor.code).toBe(0);
  }, 60_000);

  it('worker and API from dist/, a connection approved at each of the four banks, SIGTERM stops both', async () => {
    const db = openDatabase(workerEnv.DATABASE_PATH!);
    const { key } = await createApiKey(sqliteRepositories(db.db).apiKeys, { name: 'production-path' });
    db.close();
    const worker = startProcess('worker', 'worker/main.js', workerEnv, dir);
    const api = startProcess('api', 'api/main.js', apiEnv, dir);
    procs.push(worker, api);
    const log = () => `--- worker\n${worker.output()}\n--- api\n${api.output()}`;
    await until(
      '/readyz',
      async () => ((await fetch(`${apiUrl}/readyz`)).status === 200 ? true : undefined),
      60_000,
      log,
    );

    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const aspsps = await call('GET', '/v1/aspsps');
    expect((aspsps.body as unknown as { id: string }[]).map((a) => a.id)).toEqual([
      'bec-0400',
      'bec-6140',
      'enfuce-rocker',
      'enfuce-st1',
    ]);

    const bankCa = readFileSync(workerEnv.BANK_CA_PATH!, 'utf8');
    for (const aspspId of ['bec-0400', 'bec-6140', 'enfuce-rocker', 'enfuce-st1']) {
      const created = await call('POST', '/v1/connections', {
        aspspId,
        customerId: `cus-${aspspId}`,
        redirectUrl: 'https://product.example/done',
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const { location } = await psuDecides(String(created.body.authorisationUrl), bankCa, 'approve');
      expect(location.startsWith(`${apiUrl}/callback`)).toBe(true);
      const callback = await fetch(location, { redirect: 'manual' });
      expect([200, 302, 303]).toContain(callback.status);
      const id = String(created.body.id);
      await until(
        `${aspspId} active`,
        async () => {
          const view = await call('GET', `/v1/connections/${id}`);
          return view.body.status === 'active' && view.body.lastSyncAt ? view : undefined;
        },
        20_000,
        log,
      );
    }

    const started = Date.now();
    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await worker.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    sandbox.child.kill('SIGTERM');
    expect(await sandbox.exited).toBe(0);
  }, 120_000);
});
