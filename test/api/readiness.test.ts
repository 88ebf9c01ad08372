import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app';
import { parseEnv } from '../../config/env';
import { AppMetrics } from '../../metrics/registry';
import { freePort, startLocalService, type LocalService } from '../../scripts/local-service';
import { testLogger } from '../helpers/logger';
import { startStack, type Stack } from '../helpers/stack';
import { startTestWorker, type TestWorker } from '../helpers/temporal';

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('/readyz needs a worker polling the task queue', () => {
  let stack: Stack;
  let worker: TestWorker | undefined;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await worker?.stop();
    await stack?.stop();
  });

  it('503 naming the worker while nothing polls, 200 once a worker does', async () => {
    const taskQueue = `unpolled-${randomUUID()}`;
    const app = buildApp({ ...stack.deps, taskQueue, logger: testLogger(), metrics: new AppMetrics() });
    try {
      const before = await app.inject({ method: 'GET', url: '/readyz' });
      expect(before.statusCode).toBe(503);
      expect(before.json()).toEqual({ status: 'not_ready', failed: { worker: 'unavailable' } });

      worker = await startTestWorker(stack.activityDeps, { taskQueue, dataConverter: stack.dataConverter });
      await until('ready', async () => {
        const res = await app.inject({ method: 'GET', url: '/readyz' });
        return res.statusCode === 200 ? res.json() : undefined;
      });
    } finally {
      await app.close();
    }
  });
});

describe('the local service (npm start) is ready only when all of it is', () => {
  let dir: string;
  let service: LocalService | undefined;
  afterAll(async () => {
    await service?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the printed API key works on the first call after /readyz answers 200', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ob-ready-'));
    const apiPort = await freePort();
    const apiKey = `obk_readiness_${randomUUID()}`;
    const env = parseEnv({ TEMPORAL_TASK_QUEUE: `local-${randomUUID()}`, LOG_LEVEL: 'silent' });
    const starting = startLocalService({
      env,
      logger: testLogger(),
      varDir: dir,
      temporalAddress: inject('temporalAddress'),
      workflowBundlePath: inject('workflowBundlePath'),
      ports: { api: apiPort, bec: 0, rocker: 0, st1: 0, admin: 0 },
      apiKey,
    });
    let failedStart: Error | undefined;
    starting.then(
      (started) => (service = started),
      (err: unknown) => (failedStart = err instanceof Error ? err : new Error(String(err))),
    );
    const base = `http://127.0.0.1:${apiPort}`;
    await until(
      'readyz 200',
      async () => {
        if (failedStart) throw failedStart;
        const res = await fetch(`${base}/readyz`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      },
      90_000,
    );
    const first = await fetch(`${base}/v1/aspsps`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(first.status).toBe(200);
    await starting;
  });
});
