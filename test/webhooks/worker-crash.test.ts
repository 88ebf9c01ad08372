import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { webhookDeliveries } from '../../db/schema';
import type { WebhookWorkerProcessConfig } from '../fixtures/webhook-worker-process';
import { startWebhookHarness, waitFor, type WebhookHarness } from './harness';

async function startChildWorker(h: WebhookHarness): Promise<ChildProcess> {
  const configPath = join(h.database.path, '..', 'webhook-worker.json');
  const config: WebhookWorkerProcessConfig = {
    address: inject('temporalAddress'),
    taskQueue: h.taskQueue,
    bundlePath: inject('workflowBundlePath'),
    dbPath: h.database.path,
    keyId: h.cipherKey.id,
    keyBase64: h.cipherKey.key.toString('base64'),
    webhooks: h.activityDeps.webhooks!,
  };
  writeFileSync(configPath, JSON.stringify(config));
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../fixtures/webhook-worker-process.ts')], {
    env: { ...process.env, WORKER_CONFIG: configPath },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`child worker exited with ${code}`)));
  });
  return child;
}

describe('a worker killed in the middle of a webhook delivery', () => {
  let h: WebhookHarness;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    // No in-process worker at first: the child process takes the delivery.
    h = await startWebhookHarness({ worker: false, settings: { heartbeatTimeoutMs: 1_500 } });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await h?.stop();
  });

  it('is attempted again by another worker with the same webhook-id: delivered, not lost', async () => {
    child = await startChildWorker(h);
    const admin = await h.key({ scopes: ['webhooks:write'] });
    await h.register(admin);
    // The first request hangs (the receiver holds it): the worker dies while waiting for the answer.
    h.receiver.respond = (_m, i) => (i === 0 ? 'hang' : { status: 200 });
    const eventId = h.enqueue({
      type: 'payment.status_changed',
      key: 'pay_1:ACSC',
      customerId: 'cust-1',
      subjectId: 'pay_1',
      at: Date.now(),
      data: {
        paymentId: 'pay_1',
        customerId: 'cust-1',
        status: 'completed',
        previousStatus: 'pending',
        bankStatus: 'ACSC',
      },
    });
    await waitFor('the first attempt to reach the receiver', () =>
      h.receiver.received.length === 1 ? true : undefined,
    );
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;

    await h.startWorker();
    const delivery = await waitFor('the delivery to succeed on the new worker', () => {
      const d = h.database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId)).get();
      return d?.status === 'succeeded' ? d : undefined;
    });
    expect(h.receiver.received.length).toBeGreaterThanOrEqual(2);
    expect(new Set(h.receiver.received.map((m) => m.id))).toEqual(new Set([eventId]));
    for (const m of h.receiver.received) expect(m.verifiedBy).toHaveLength(1);
    expect(delivery.lastStatusCode).toBe(200);
  });
});
