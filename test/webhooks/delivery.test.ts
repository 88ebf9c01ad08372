import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { webhookDeliveries, webhookEndpoints, webhookEvents } from '../../db/schema';
import { startWebhookDelivery } from '../../webhooks/dispatcher';
import { webhookDeliveryWorkflowId } from '../../workflows/webhook-delivery/contract';
import { startWebhookHarness, waitFor, type WebhookHarness } from './harness';

let h: WebhookHarness;
let admin: string;

beforeAll(async () => {
  h = await startWebhookHarness();
  admin = await h.key({ scopes: ['webhooks:read', 'webhooks:write'] });
});
afterAll(async () => h?.stop());

beforeEach(async () => {
  // One endpoint per test: delete the previous tests' endpoints, reset the receiver.
  for (const e of h.database.db.select().from(webhookEndpoints).all())
    await h.call('DELETE', `/v1/webhook-endpoints/${e.id}`, admin);
  h.receiver.received.length = 0;
  h.receiver.secrets = [];
  h.receiver.respond = () => ({ status: 204 });
});

/** An event as recordConnectionStatus would write it. */
function emit(customerId = 'cust-1', key = randomUUID()): string {
  return h.enqueue({
    type: 'connection.status_changed',
    key,
    customerId,
    subjectId: 'con_test',
    at: Date.now(),
    data: {
      connectionId: 'con_test',
      customerId,
      aspspId: 'bec',
      status: 'active',
      previousStatus: 'awaiting_authorisation',
      reason: null,
    },
  });
}

const deliveryOf = (eventId: string) =>
  h.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId)).get();

async function settled(eventId: string) {
  return waitFor(`delivery of ${eventId} to settle`, () => {
    const d = deliveryOf(eventId);
    return d && d.status !== 'pending' ? d : undefined;
  });
}

describe('webhook delivery', () => {
  it('posts the event with Standard Webhooks headers the reference library verifies', async () => {
    const endpoint = await h.register(admin);
    const eventId = emit();
    const delivery = await settled(eventId);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 204, nextAttemptAt: null });
    expect(h.receiver.received).toHaveLength(1);
    const [message] = h.receiver.received;
    expect(message.id).toBe(eventId);
    expect(message.verifiedBy).toEqual([endpoint.secret]);
    expect(message.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(message.headers['content-type']).toBe('application/json');
    const body = JSON.parse(message.body);
    expect(body).toMatchObject({ type: 'connection.status_changed', id: eventId, data: { status: 'active' } });
    expect(Date.parse(body.createdAt)).toBeGreaterThan(0);
    // Exactly the stored body bytes were sent.
    expect(message.body).toBe(
      h.database.db.select().from(webhookEvents).where(eq(webhookEvents.id, eventId)).get()!.payload,
    );
  });

  it('a receiver that answers 503 once gets the same webhook-id again, no earlier than its Retry-After', async () => {
    const endpoint = await h.register(admin);
    h.receiver.respond = (_m, i) => (i === 0 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 });
    const eventId = emit();
    const delivery = await settled(eventId);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, lastStatusCode: 200 });
    const [first, second] = h.receiver.received;
    expect(h.receiver.received).toHaveLength(2);
    expect(second.id).toBe(first.id);
    expect(second.body).toBe(first.body);
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    for (const m of h.receiver.received) expect(m.verifiedBy).toEqual([endpoint.secret]);
  });

  it('410 Gone disables the endpoint: the delivery fails and later events are not delivered', async () => {
    const endpoint = await h.register(admin);
    h.receiver.respond = () => ({ status: 410 });
    const eventId = emit();
    expect(await settled(eventId)).toMatchObject({ status: 'failed', attempts: 1, lastStatusCode: 410 });
    const view = (await h.call('GET', `/v1/webhook-endpoints/${endpoint.id}`, admin)).json();
    expect(view).toMatchObject({ status: 'disabled', disabledReason: expect.stringContaining('410') });

    const later = emit();
    await waitFor('the later event to be dispatched', () =>
      h.database.db.select().from(webhookEvents).where(eq(webhookEvents.id, later)).get()?.dispatchedAt
        ? true
        : undefined,
    );
    expect(deliveryOf(later)).toBeUndefined();
    expect(h.receiver.received).toHaveLength(1);
  });

  it('after the last attempt the delivery is failed, and the API shows attempts and last status', async () => {
    const endpoint = await h.register(admin);
    h.receiver.respond = () => ({ status: 500 });
    const eventId = emit();
    await settled(eventId);
    expect(h.receiver.received.map((m) => m.id)).toEqual([eventId, eventId, eventId, eventId]);
    const res = await h.call('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries`, admin);
    expect(res.statusCode).toBe(200);
    expect(res.json().deliveries).toEqual([
      expect.objectContaining({
        eventId,
        eventType: 'connection.status_changed',
        status: 'failed',
        attempts: 4,
        lastStatusCode: 500,
        lastError: 'answered 500',
        nextAttemptAt: null,
      }),
    ]);
  });

  it('redirects are not followed: a 3xx is a failed attempt', async () => {
    await h.register(admin);
    h.receiver.respond = (_m, i) =>
      i === 0 ? { status: 307, headers: { location: 'http://127.0.0.1:9/elsewhere' } } : { status: 200 };
    const eventId = emit();
    expect(await settled(eventId)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(h.receiver.received).toHaveLength(2);
  });

  it('after a rotation both the old and the new secret verify, until the grace period ends', async () => {
    const endpoint = await h.register(admin);
    const rotated = await h.call('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, admin);
    expect(rotated.statusCode).toBe(200);
    const { secret, previousSecretExpiresAt } = rotated.json();
    expect(secret).not.toBe(endpoint.secret);
    expect(Date.parse(previousSecretExpiresAt) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    h.receiver.secrets.push(secret);

    const during = emit();
    await settled(during);
    const m = h.receiver.received.find((r) => r.id === during)!;
    expect(m.signature.split(' ')).toHaveLength(2);
    expect(m.verifiedBy.sort()).toEqual([endpoint.secret, secret].sort());

    // The grace period over: only the new secret signs.
    h.database.db
      .update(webhookEndpoints)
      .set({ previousExpiresAt: Date.now() - 1 })
      .where(eq(webhookEndpoints.id, endpoint.id))
      .run();
    const after = emit();
    await settled(after);
    expect(h.receiver.received.find((r) => r.id === after)!.verifiedBy).toEqual([secret]);
  });

  it('redelivers on request with the same webhook-id; not while attempts are still running', async () => {
    const endpoint = await h.register(admin);
    const eventId = emit();
    const delivery = await settled(eventId);
    const url = `/v1/webhook-endpoints/${endpoint.id}/deliveries/${delivery.id}/redeliver`;
    const res = await h.call('POST', url, admin);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ id: delivery.id, status: 'pending', redelivery: 1 });
    await waitFor('the redelivery', () => (h.receiver.received.length === 2 ? true : undefined));
    expect(h.receiver.received.map((m) => m.id)).toEqual([eventId, eventId]);
    const again = await waitFor('the redelivery to settle', () => {
      const d = deliveryOf(eventId)!;
      return d.status === 'succeeded' && d.attempts === 2 ? d : undefined;
    });
    expect(again.redeliveries).toBe(1);

    // While a delivery is pending, redeliver is refused.
    h.receiver.respond = () => ({ status: 500, headers: {} });
    h.activityDeps.webhooks = { ...h.activityDeps.webhooks!, retryScheduleMs: [60_000] };
    try {
      const slow = emit();
      await waitFor('the first failed attempt', () => (deliveryOf(slow)?.attempts === 1 ? true : undefined));
      const pending = deliveryOf(slow)!;
      const refused = await h.call(
        'POST',
        `/v1/webhook-endpoints/${endpoint.id}/deliveries/${pending.id}/redeliver`,
        admin,
      );
      expect(refused.statusCode).toBe(409);
      const list = (
        await h.call('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries?status=pending`, admin)
      ).json();
      expect(list.deliveries).toEqual([
        expect.objectContaining({ id: pending.id, attempts: 1, nextAttemptAt: expect.any(String) }),
      ]);
      // Deleting the endpoint cancels it at its next attempt; cancel the wait here instead of waiting a minute.
      await h.call('DELETE', `/v1/webhook-endpoints/${endpoint.id}`, admin);
      await h.worker.client.workflow.getHandle(webhookDeliveryWorkflowId(pending.id)).terminate('test over');
    } finally {
      h.activityDeps.webhooks = { ...h.activityDeps.webhooks, retryScheduleMs: [200, 200, 200] };
    }
  });

  it('one delivery per event and endpoint: writing the event again or dispatching twice starts nothing new', async () => {
    const endpoint = await h.register(admin);
    const key = randomUUID();
    const eventId = emit('cust-1', key);
    expect(emit('cust-1', key)).toBe(eventId);
    expect(h.database.db.select().from(webhookEvents).where(eq(webhookEvents.id, eventId)).all()).toHaveLength(1);
    const delivery = await settled(eventId);
    expect(delivery.endpointId).toBe(endpoint.id);
    expect(await startWebhookDelivery(h.worker.client, h.taskQueue, delivery.id)).toBe(false);
    h.database.db.update(webhookEvents).set({ dispatchedAt: null }).where(eq(webhookEvents.id, eventId)).run();
    await h.dispatcher.poke();
    await new Promise((r) => setTimeout(r, 300));
    expect(h.receiver.received).toHaveLength(1);
  });

  it('delivers only the subscribed event types and the key’s customers', async () => {
    const key = await h.key({ customers: ['cust-a'], scopes: ['webhooks:write'] });
    await h.register(key, { events: ['connection.status_changed'] });
    const other = emit('cust-b');
    const mine = emit('cust-a');
    await settled(mine);
    expect(deliveryOf(other)).toBeUndefined();
    expect(h.receiver.received.map((m) => m.id)).toEqual([mine]);
  });

  it('deleting the endpoint cancels a pending delivery at its next attempt', async () => {
    const endpoint = await h.register(admin);
    h.receiver.respond = () => ({ status: 500 });
    h.activityDeps.webhooks = { ...h.activityDeps.webhooks!, retryScheduleMs: [1_500, 1_500] };
    try {
      const eventId = emit();
      await waitFor('the first failed attempt', () => (deliveryOf(eventId)?.attempts === 1 ? true : undefined));
      expect((await h.call('DELETE', `/v1/webhook-endpoints/${endpoint.id}`, admin)).statusCode).toBe(204);
      expect(await settled(eventId)).toMatchObject({ status: 'cancelled', attempts: 1, lastError: 'endpoint deleted' });
      expect(h.receiver.received).toHaveLength(1);
    } finally {
      h.activityDeps.webhooks = { ...h.activityDeps.webhooks, retryScheduleMs: [200, 200, 200] };
    }
  });

  it('a delivery workflow replays deterministically from its history', async () => {
    await h.register(admin);
    h.receiver.respond = (_m, i) => (i === 0 ? { status: 503 } : { status: 200 });
    const delivery = await settled(emit());
    const history = await h.worker.client.workflow.getHandle(webhookDeliveryWorkflowId(delivery.id)).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history);
  });

  it('no secret enters workflow history', async () => {
    const endpoint = await h.register(admin);
    const eventId = emit();
    const delivery = await settled(eventId);
    const history = await h.worker.client.workflow.getHandle(webhookDeliveryWorkflowId(delivery.id)).fetchHistory();
    const text = JSON.stringify(history, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
    expect(text).toContain(delivery.id);
    expect(text).not.toContain(endpoint.secret);
    expect(text).not.toContain(endpoint.secret.slice('whsec_'.length));
    expect(text).not.toContain('whsec_');
    expect(text).not.toContain(h.receiver.url); // nor where it goes, nor the body
    expect(text).not.toContain('awaiting_authorisation');
  });
});
