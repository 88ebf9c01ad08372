import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEndpoints } from '../../db/schema';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/contract';
import { startWebhookHarness, type WebhookHarness } from './harness';

let h: WebhookHarness;
beforeAll(async () => {
  h = await startWebhookHarness({
    api: {
      mode: 'production',
      resolve: async (host) => (host.endsWith('.internal') ? ['10.0.0.7'] : ['93.184.216.34']),
    },
  });
});
afterAll(async () => h?.stop());

const problem = (res: { statusCode: number; json(): any }, status: number) => {
  expect(res.statusCode).toBe(status);
  return res.json();
};

describe('webhook endpoints API', () => {
  it('needs webhooks:write to register and webhooks:read to list', async () => {
    const readOnly = await h.key({ scopes: ['webhooks:read'] });
    const connectionsOnly = await h.key({ scopes: ['connections:read'] });
    problem(await h.call('POST', '/v1/webhook-endpoints', readOnly, { url: 'https://hooks.example.com/a' }), 403);
    problem(await h.call('GET', '/v1/webhook-endpoints', connectionsOnly), 403);
    problem(await h.call('GET', '/v1/webhook-endpoints', undefined), 401);
    expect((await h.call('GET', '/v1/webhook-endpoints', readOnly)).statusCode).toBe(200);
  });

  it('shows the secret once and stores it only encrypted', async () => {
    const key = await h.key({ customers: ['cust-s'], scopes: ['webhooks:read', 'webhooks:write'] });
    const res = await h.call('POST', '/v1/webhook-endpoints', key, {
      url: 'https://hooks.example.com/s',
      events: ['connection.status_changed', 'connection.sync_completed'],
      description: 'ours',
    });
    const created = problem(res, 201);
    expect(created).toMatchObject({
      id: expect.stringMatching(/^whe_/),
      url: 'https://hooks.example.com/s',
      events: ['connection.status_changed', 'connection.sync_completed'],
      description: 'ours',
      customerIds: ['cust-s'],
      status: 'enabled',
      secret: expect.stringMatching(/^whsec_/),
    });
    expect(Buffer.from(created.secret.slice(6), 'base64')).toHaveLength(32);

    const shown = problem(await h.call('GET', `/v1/webhook-endpoints/${created.id}`, key), 200);
    expect(shown).not.toHaveProperty('secret');
    expect(JSON.stringify(problem(await h.call('GET', '/v1/webhook-endpoints', key), 200))).not.toContain('whsec_');
    const row = h.database.db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, created.id)).get()!;
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(6));
    expect(row.keyId).toBe(h.cipherKey.id);

    const rotated = problem(await h.call('POST', `/v1/webhook-endpoints/${created.id}/rotate-secret`, key), 200);
    expect(rotated.secret).toMatch(/^whsec_/);
    const after = problem(await h.call('GET', `/v1/webhook-endpoints/${created.id}`, key), 200);
    expect(after.previousSecretExpiresAt).toBe(rotated.previousSecretExpiresAt);
  });

  it('in production refuses http, private, loopback and link-local targets (after DNS resolution)', async () => {
    const key = await h.key({ scopes: ['webhooks:write'] });
    for (const url of [
      'http://hooks.example.com/a',
      'https://hooks.internal/a',
      'https://127.0.0.1/a',
      'https://169.254.169.254/latest/meta-data',
      'https://[fd00::1]/a',
      'http://localhost:3000/a',
    ]) {
      const body = problem(await h.call('POST', '/v1/webhook-endpoints', key, { url }), 422);
      expect(body.errors, url).toEqual([{ field: 'url', message: expect.any(String) }]);
    }
  });

  it('refuses unknown event types and fields', async () => {
    const key = await h.key({ scopes: ['webhooks:write'] });
    problem(
      await h.call('POST', '/v1/webhook-endpoints', key, { url: 'https://hooks.example.com/a', events: ['x.y'] }),
      422,
    );
    problem(
      await h.call('POST', '/v1/webhook-endpoints', key, { url: 'https://hooks.example.com/a', secret: 'mine' }),
      422,
    );
    const all = problem(
      await h.call('POST', '/v1/webhook-endpoints', key, { url: 'https://hooks.example.com/all' }),
      201,
    );
    expect(all.events).toEqual([...WEBHOOK_EVENT_TYPES]);
  });

  it("another customer's endpoint is as absent as a missing one", async () => {
    const a = await h.key({ customers: ['cust-a'], scopes: ['webhooks:read', 'webhooks:write'] });
    const b = await h.key({ customers: ['cust-b'], scopes: ['webhooks:read', 'webhooks:write'] });
    const created = problem(
      await h.call('POST', '/v1/webhook-endpoints', a, { url: 'https://hooks.example.com/a' }),
      201,
    );
    for (const [method, path] of [
      ['GET', ''],
      ['DELETE', ''],
      ['POST', '/rotate-secret'],
      ['GET', '/deliveries'],
    ] as const)
      problem(await h.call(method, `/v1/webhook-endpoints/${created.id}${path}`, b), 404);
    const listB = problem(await h.call('GET', '/v1/webhook-endpoints', b), 200);
    expect(listB.webhookEndpoints.map((e: { id: string }) => e.id)).not.toContain(created.id);
    const listA = problem(await h.call('GET', '/v1/webhook-endpoints', a), 200);
    expect(listA.webhookEndpoints.map((e: { id: string }) => e.id)).toContain(created.id);

    expect((await h.call('DELETE', `/v1/webhook-endpoints/${created.id}`, a)).statusCode).toBe(204);
    problem(await h.call('GET', `/v1/webhook-endpoints/${created.id}`, a), 404);
    problem(await h.call('POST', `/v1/webhook-endpoints/${created.id}/deliveries/dlv_none/redeliver`, a), 404);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await h.call('GET', '/openapi.json', undefined)).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/webhook-endpoints',
        '/v1/webhook-endpoints/{id}',
        '/v1/webhook-endpoints/{id}/rotate-secret',
        '/v1/webhook-endpoints/{id}/deliveries',
        '/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/redeliver',
      ]),
    );
  });
});
