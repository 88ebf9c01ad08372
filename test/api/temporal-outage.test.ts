/**
 * A Temporal outage, for real: this file starts its own dev server (with a database file), stops
 * it and starts it again on the same port. A create during the outage leaves no row and answers
 * 503 problem+json naming Temporal; a PSU callback gets a page to retry (the answer is saved);
 * /readyz recovers within seconds once the server is back.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { buildApp } from '../../api/app';
import { createApiKey } from '../../api/auth/api-keys';
import { enrolAtBec, sandboxBankSetups } from '../../banks/sandbox-setup';
import { createRoot, type Root } from '../../composition/root';
import { parseEnv } from '../../config/env';
import { authorisations, connections } from '../../db/schema';
import { AppMetrics } from '../../metrics/registry';
import { startSandboxBanks, type SandboxBanks } from '../../sandbox';
import { freePort } from '../../scripts/local-service';
import { startDevServer, type DevServer } from '../../temporal/dev-server';
import { EncryptionCodec } from '../../temporal/payload-codec';
import { createWorker, type ServiceWorker } from '../../worker/worker';
import { generateSandboxCertificates } from '../../xs2a/certs';
import { hashState } from '../../xs2a/oauth/pkce';
import { tempDatabase } from '../helpers/db';
import { testLogger } from '../helpers/logger';

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a Temporal outage: dev server stopped and started again on the same port', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ob-outage-'));
  const database = tempDatabase();
  const taskQueue = `outage-${randomUUID()}`;
  let port: number;
  let server: DevServer | undefined;
  let sandbox: SandboxBanks;
  let root: Root;
  let client: Client;
  let native: NativeConnection;
  let worker: ServiceWorker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let key: string;

  const start = async () => {
    server = await startDevServer({ port, dbFilename: join(dir, 'temporal.sqlite') });
  };

  beforeAll(async () => {
    port = await freePort();
    await start();
    const tpp = generateSandboxCertificates({ organizationIdentifier: 'PSDDK-DFSA-TEST0009', organizationName: 'T' });
    sandbox = await startSandboxBanks({ tppCa: tpp.ca, logger: testLogger() });
    root = createRoot({
      env: parseEnv({ TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_TASK_QUEUE: taskQueue }),
      logger: testLogger(),
      database,
      bankSetups: sandboxBankSetups(sandbox, tpp),
      cipherKeys: new Map([['t1', randomBytes(32)]]),
      payloadCodec: new EncryptionCodec(new Map([['p1', randomBytes(32)]])),
      callbackUrl: 'http://127.0.0.1:9/callback',
    });
    await enrolAtBec(root.banks, tpp);
    // The API's own client, as api/main.ts builds it.
    client = await root.connectTemporal();
    native = await NativeConnection.connect({ address: `127.0.0.1:${port}` });
    worker = await createWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      deps: root.activityDeps(),
      dataConverter: root.dataConverter,
      workflowBundlePath: inject('workflowBundlePath'),
    });
    running = worker.run();
    app = buildApp({ ...root.apiDeps(client), metrics: new AppMetrics() });
    await app.ready();
    key = (await createApiKey(root.repositories.apiKeys, { name: 'outage' })).key;
  }, 120_000);

  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await native?.close().catch(() => undefined);
    await app?.close();
    await client?.connection.close().catch(() => undefined);
    await server?.stop();
    await root?.close();
    await sandbox?.stop();
    database.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const ready = async () => (await app.inject({ method: 'GET', url: '/readyz' })).statusCode;

  it('no orphan row and a 503 naming Temporal; a page to retry for the PSU; ready again within seconds', async () => {
    await until('ready', async () => ((await ready()) === 200 ? true : undefined), 20_000);

    // A session waiting for its PSU (its workflow is not the point here).
    database.db
      .insert(connections)
      .values({
        id: 'con_o',
        customerId: 'c',
        aspspId: 'bec',
        status: 'awaiting_authorisation',
        redirectUrl: 'https://p.example/r',
      })
      .run();
    database.db
      .insert(authorisations)
      .values({
        id: 'auth_o',
        subjectType: 'connection',
        subjectId: 'con_o',
        connectionId: 'con_o',
        stateHash: hashState('outage-state'),
        keyId: 't1',
        expiresAt: Date.now() + 3_600_000,
      })
      .run();

    await server!.stop();
    server = undefined;
    const down = Date.now();
    expect(await ready()).toBe(503);
    expect(Date.now() - down).toBeLessThan(5_000);

    const created = await app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ customerId: 'c-outage', aspspId: 'bec', redirectUrl: 'https://p.example/r' }),
    });
    expect(created.statusCode).toBe(503);
    expect(created.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(created.json<{ detail: string }>().detail).toMatch(/Temporal/);
    expect(database.db.select().from(connections).where(eq(connections.customerId, 'c-outage')).all()).toEqual([]);

    const callbackAt = Date.now();
    const callback = await app.inject({ method: 'GET', url: '/callback?state=outage-state' });
    // The PSU is not left waiting for the client's retries.
    expect(Date.now() - callbackAt).toBeLessThan(8_000);
    expect(callback.statusCode).toBe(503);
    expect(callback.headers['content-type']).toMatch(/^text\/html/);
    expect(callback.body).toMatch(/Try again/);
    expect(database.db.select().from(authorisations).where(eq(authorisations.id, 'auth_o')).get()?.outcome).toBe(
      'approved',
    );

    await start();
    const back = Date.now();
    await until('ready again', async () => ((await ready()) === 200 ? true : undefined), 30_000);
    expect(Date.now() - back).toBeLessThan(10_000);
    // The PSU's retry reaches the server now (the connection's workflow does not exist here: told error).
    const retried = await app.inject({ method: 'GET', url: '/callback?state=outage-state' });
    expect(retried.statusCode).toBe(302);
  }, 120_000);
});
