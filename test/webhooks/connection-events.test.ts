import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createApiKey } from '../../api/auth/api-keys';
import { createConnection } from '../../services/connections';
import { WebhookDispatcher } from '../../webhooks/dispatcher';
import { describeEachBackend } from '../helpers/backends';
import { testLogger } from '../helpers/logger';
import { startStack, type Stack } from '../helpers/stack';
import { waitForStatus } from '../lifecycle/helpers';
import { TEST_WEBHOOK_SETTINGS, waitFor } from './harness';
import { Receiver } from './receiver';

describeEachBackend('webhooks from a connection’s lifecycle (sandbox bank, real worker)', (backend) => {
  let stack: Stack;
  let dispatcher: WebhookDispatcher;
  let receiver: Receiver;
  let app: ReturnType<typeof buildApp>;

  beforeAll(async () => {
    stack = await startStack({ backend });
    // The worker reads its webhook settings at each activity: fast retries for the test.
    stack.activityDeps.webhooks = TEST_WEBHOOK_SETTINGS;
    app = buildApp({ ...stack.deps, logger: testLogger() });
    await app.ready();
    dispatcher = new WebhookDispatcher({
      webhooks: stack.deps.repositories.webhooks,
      temporal: stack.deps.temporal,
      taskQueue: stack.deps.taskQueue,
      logger: testLogger(),
      pollIntervalMs: 100,
    }).start();
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await receiver?.stop();
    await app?.close();
    await stack?.stop();
  });

  it('connection approved → connection.status_changed to active and connection.sync_completed, each once, signed', async () => {
    const { key } = await createApiKey(stack.deps.repositories.apiKeys, {
      name: 'product',
      customerIds: ['c-hooks'],
      scopes: ['webhooks:write', 'webhooks:read'],
    });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/webhook-endpoints',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ url: receiver.url, description: 'product backend' }),
    });
    expect(res.statusCode).toBe(201);
    receiver.secrets.push(res.json<{ secret: string }>().secret);

    const created = await createConnection(stack.deps, {
      customerId: 'c-hooks',
      aspspId: 'bec',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    await stack.psu(created.authorisationUrl, 'approve', 'bec-psu-1');
    await waitForStatus(stack, created.id, 'active');

    const events = await waitFor('status_changed to active and sync_completed', () => {
      const got = receiver.events();
      return got.some((e) => e.type === 'connection.status_changed' && e.data.status === 'active') &&
        got.some((e) => e.type === 'connection.sync_completed')
        ? got
        : undefined;
    });
    for (const m of receiver.received) expect(m.verifiedBy).toHaveLength(1);

    const active = events.filter((e) => e.type === 'connection.status_changed' && e.data.status === 'active');
    expect(active).toHaveLength(1);
    expect(active[0].data).toMatchObject({
      connectionId: created.id,
      customerId: 'c-hooks',
      aspspId: 'bec',
      previousStatus: 'awaiting_authorisation',
      status: 'active',
    });
    const synced = events.filter((e) => e.type === 'connection.sync_completed');
    expect(synced).toHaveLength(1);
    expect(synced[0].data).toMatchObject({
      connectionId: created.id,
      customerId: 'c-hooks',
      accounts: expect.any(Number),
    });
    expect((synced[0].data.accounts as number) > 0).toBe(true);
    expect((synced[0].data.transactions as { added: number }).added).toBeGreaterThan(0);

    // Events are never written (or sent as distinct messages) twice.
    const rows = await stack.deps.repositories.webhooks.eventsOf(created.id);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(new Set(receiver.received.map((m) => m.id)).size).toBe(receiver.received.length);
  });
});
