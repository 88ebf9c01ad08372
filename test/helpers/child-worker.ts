import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { WorkerProcessConfig } from '../fixtures/worker-process';
import { TEST_CALLBACK_URL, type Stack } from './stack';

/** What a fixture process needs to join the stack: its Temporal server, task queue, database, keys and banks. */
export function stackProcessConfig(stack: Stack): WorkerProcessConfig {
  return {
    address: inject('temporalAddress'),
    taskQueue: stack.deps.taskQueue,
    bundlePath: inject('workflowBundlePath'),
    dbPath: stack.db.databasePath,
    databaseUrl: stack.db.databaseUrl,
    keyId: stack.cipherKey.id,
    keyBase64: stack.cipherKey.key.toString('base64'),
    payloadKeyId: stack.payloadKey.id,
    payloadKeyBase64: stack.payloadKey.key.toString('base64'),
    callbackUrl: TEST_CALLBACK_URL,
    sandbox: { banks: stack.sandbox.banks, serverCaPem: stack.sandbox.serverCaPem },
    tpp: stack.tpp,
    timing: stack.activityDeps.timing,
  };
}

/**
 * A worker of the stack in its own process (test/fixtures/worker-process.ts): the same task queue,
 * database (the SQLite file or PostgreSQL), keys and sandbox banks; resolves once it polls.
 */
export async function startChildWorker(
  stack: Stack,
  name: string,
  extra: Partial<WorkerProcessConfig> = {},
): Promise<ChildProcess> {
  const configPath = join(tmpdir(), `${name}-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  const config: WorkerProcessConfig = { ...stackProcessConfig(stack), ...extra };
  return startFixtureProcess('worker-process.ts', 'WORKER_CONFIG', configPath, config, `child worker ${name}`);
}

/**
 * A test fixture (test/fixtures/<file>) in its own node process, its config as JSON in `configPath`
 * (named by the env variable `configEnv`); resolves once it prints "ready".
 */
export async function startFixtureProcess(
  file: string,
  configEnv: string,
  configPath: string,
  config: object,
  what: string,
): Promise<ChildProcess> {
  // The sandbox's bank state is not configuration: leave it out.
  writeFileSync(
    configPath,
    JSON.stringify(config, (k, v) => (k === 'state' ? undefined : v)),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../fixtures', file)], {
    env: { ...process.env, [configEnv]: configPath },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}`)));
  });
  return child;
}

/** SIGKILLs the child (if still running) and waits for it to be gone. */
export async function killChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}
