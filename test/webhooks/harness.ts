import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../api/app';
import { createApiKey, type ApiScope } from '../../api/auth/api-keys';
import type { WebhookApiOptions } from '../../api/routes/webhook-endpoints/routes';
import type { ActivityDeps } from '../../activities';
import { createBankDirectory } from '../../banks/directory';
import type { Repositories } from '../../repositories';
import { sqliteRepositories } from '../../repositories/sqlite';
import { TokenCipher } from '../../secrets/token-cipher';
import { webhookEvents } from '../../db/schema';
import { WebhookDispatcher } from '../../webhooks/dispatcher';
import { outboxRow, type NewWebhookEvent } from '../../webhooks/outbox';
import type { WebhookSettings } from '../../webhooks/settings';
import { tempDatabase } from '../helpers/db';
import { testLogger } from '../helpers/logger';
import { FAST_TIMING, TEST_CALLBACK_URL } from '../helpers/stack';
import { startTestWorker, type TestWorker } from '../helpers/temporal';
import { Receiver } from './receiver';

/** Fast but shaped like production: an immediate attempt, then short waits. */
export const TEST_WEBHOOK_SETTINGS: WebhookSettings = {
  mode: 'development',
  retryScheduleMs: [200, 200, 200],
  jitter: 0.1,
  requestTimeoutMs: 3_000,
  heartbeatTimeoutMs: 2_000,
  rotationGraceMs: 86_400_000,
};

export interface WebhookHarness {
  database: ReturnType<typeof tempDatabase>;
  repositories: Repositories;
  cipherKey: { id: string; key: Buffer };
  activityDeps: ActivityDeps;
  worker: TestWorker;
  taskQueue: string;
  app: FastifyInstance;
  dispatcher: WebhookDispatcher;
  receiver: Receiver;
  key(opts?: { customers?: string[]; scopes?: ApiScope[] }): Promise<string>;
  /** Writes an event into the outbox as the repositories do with a change (once per key); returns its id. */
  enqueue(event: NewWebhookEvent): string;
  call(method: string, url: string, key: string | undefined, body?: unknown): Promise<LightMyRequestResponse>;
  /** Registers the receiver (or url) through the API; the receiver verifies with the returned secret. */
  register(key: string, body?: Record<string, unknown>): Promise<{ id: string; secret: string }>;
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Webhooks without banks: a SQLite file, a worker on the run's Temporal dev server, the API (in
 * process), the dispatcher and a local receiver over real HTTP.
 */
export async function startWebhookHarness(
  opts: { settings?: Partial<WebhookSettings>; api?: WebhookApiOptions; worker?: boolean } = {},
): Promise<WebhookHarness> {
  const logger = testLogger();
  const database = tempDatabase();
  const cipherKey = { id: 'test1', key: randomBytes(32) };
  const cipher = new TokenCipher(new Map([[cipherKey.id, cipherKey.key]]));
  const banks = createBankDirectory([], logger);
  const repositories = sqliteRepositories(database.db);
  const activityDeps: ActivityDeps = {
    repositories,
    logger,
    cipher,
    banks,
    callbackUrl: TEST_CALLBACK_URL,
    timing: FAST_TIMING,
    webhooks: { ...TEST_WEBHOOK_SETTINGS, ...opts.settings },
  };
  let worker: TestWorker | undefined = await startTestWorker(activityDeps);
  const client = worker.client;
  const taskQueue = worker.taskQueue;
  if (opts.worker === false) {
    await worker.stop({ keepClient: true });
    worker = undefined;
  }
  const app = buildApp({
    temporal: client,
    taskQueue,
    banks,
    cipher,
    repositories,
    logger,
    webhooks: opts.api,
  });
  await app.ready();
  const dispatcher = new WebhookDispatcher({
    webhooks: repositories.webhooks,
    temporal: client,
    taskQueue,
    logger,
    pollIntervalMs: 100,
  });
  dispatcher.start();
  const receiver = await new Receiver().start();
  let n = 0;
  const call: WebhookHarness['call'] = (method, url, key, body) =>
    app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    database,
    repositories,
    cipherKey,
    activityDeps,
    get worker() {
      if (!worker) throw new Error('the in-process worker is stopped');
      return worker;
    },
    taskQueue,
    app,
    dispatcher,
    receiver,
    async key(o = {}) {
      const { key } = await createApiKey(repositories.apiKeys, {
        name: `test-${++n}`,
        customerIds: o.customers,
        scopes: o.scopes,
      });
      return key;
    },
    enqueue(event) {
      const row = outboxRow(event);
      database.db.insert(webhookEvents).values(row).onConflictDoNothing().run();
      return row.id;
    },
    call,
    async register(key, body = {}) {
      const res = await call('POST', '/v1/webhook-endpoints', key, { url: receiver.url, ...body });
      if (res.statusCode !== 201) throw new Error(`registering failed: ${res.statusCode} ${res.body}`);
      const created = res.json<{ id: string; secret: string }>();
      receiver.secrets.push(created.secret);
      return created;
    },
    async stopWorker() {
      await worker?.stop({ keepClient: true });
      worker = undefined;
    },
    async startWorker() {
      if (worker) throw new Error('a worker is already running');
      worker = await startTestWorker(activityDeps, { taskQueue });
    },
    async stop() {
      await dispatcher.stop();
      await receiver.stop();
      await app.close();
      await worker?.stop({ keepClient: true });
      await client.connection.close().catch(() => undefined);
      await banks.close();
      database.remove();
    },
  };
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
