import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { attemptDelivery, parseRetryAfter } from '../../webhooks/deliver';
import {
  connectionStatusEvents,
  needsConsentValidity,
  paymentStatusChangedEvent,
  webhookEventId,
} from '../../webhooks/outbox';
import { generateWebhookSecret, signWebhook, webhookHeaders } from '../../webhooks/signer';
import { checkWebhookUrl, guardedLookup, isForbiddenAddress, type Resolver } from '../../webhooks/url-policy';

describe('signer', () => {
  it('makes whsec_ secrets of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it('signs exactly as the standardwebhooks library does, and its verify accepts our headers', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ type: 'connection.status_changed', id: 'evt_1', data: { ü: 'ø' } });
    const ts = Math.floor(Date.now() / 1000);
    expect(signWebhook(secret, 'evt_1', ts, body)).toBe(new Webhook(secret).sign('evt_1', new Date(ts * 1000), body));
    expect(new Webhook(secret).verify(body, webhookHeaders([secret], 'evt_1', ts, body))).toEqual(JSON.parse(body));
  });

  it('during a rotation either secret verifies the space-separated signatures; a third does not', () => {
    const [next, previous, other] = [generateWebhookSecret(), generateWebhookSecret(), generateWebhookSecret()];
    const body = '{"a":1}';
    const headers = webhookHeaders([next, previous], 'evt_2', Math.floor(Date.now() / 1000), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(next).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(other).verify(body, headers)).toThrow();
    expect(() => new Webhook(next).verify(body + ' ', headers)).toThrow();
  });
});

describe('URL policy', () => {
  const publicDns: Resolver = async () => ['93.184.216.34'];
  const privateDns: Resolver = async () => ['93.184.216.34', '10.1.2.3'];

  it('knows private, loopback and link-local addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      '100.64.0.1',
    ])
      expect(isForbiddenAddress(a), a).toBe(true);
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) expect(isForbiddenAddress(a), a).toBe(false);
  });

  it('production: https only, and never a name or address that resolves to a private one', async () => {
    await expect(checkWebhookUrl('https://hooks.example.com/x', 'production', publicDns)).resolves.toBe(
      'https://hooks.example.com/x',
    );
    await expect(checkWebhookUrl('http://hooks.example.com/x', 'production', publicDns)).rejects.toThrow(
      'must be https',
    );
    await expect(checkWebhookUrl('https://hooks.example.com/x', 'production', privateDns)).rejects.toThrow(/private/);
    await expect(checkWebhookUrl('https://169.254.169.254/latest', 'production', publicDns)).rejects.toThrow(/private/);
    await expect(checkWebhookUrl('https://[::1]/x', 'production', publicDns)).rejects.toThrow(/private/);
    await expect(checkWebhookUrl('https://localhost/x', 'production', publicDns)).rejects.toThrow();
    await expect(checkWebhookUrl('http://127.0.0.1:8080/x', 'production', publicDns)).rejects.toThrow();
    const nxdomain: Resolver = async () => {
      throw new Error('ENOTFOUND');
    };
    await expect(checkWebhookUrl('https://nope.example/x', 'production', nxdomain)).rejects.toThrow(/does not resolve/);
    await expect(checkWebhookUrl('https://u:p@hooks.example.com/x', 'production', publicDns)).rejects.toThrow(
      /credentials/,
    );
  });

  it('development: http only to localhost and 127.0.0.1', async () => {
    await expect(checkWebhookUrl('http://127.0.0.1:4000/hooks', 'development')).resolves.toBe(
      'http://127.0.0.1:4000/hooks',
    );
    await expect(checkWebhookUrl('http://localhost:4000/hooks', 'development')).resolves.toBeTruthy();
    await expect(checkWebhookUrl('http://example.com/hooks', 'development')).rejects.toThrow(/https/);
    await expect(checkWebhookUrl('ftp://127.0.0.1/hooks', 'development')).rejects.toThrow(/https/);
    await expect(checkWebhookUrl('not a url', 'development')).rejects.toThrow(/absolute/);
  });

  it('production deliveries refuse non-public targets at connect time too', async () => {
    // The socket's own lookup checks the answer it connects with (no gap for DNS rebinding).
    const lookup = guardedLookup('production')!;
    const refused = await new Promise<Error | null>((resolve) => lookup('localhost', {}, (err) => resolve(err)));
    expect(refused).toMatchObject({ code: 'EWEBHOOKADDRESS' });
    expect(guardedLookup('development')).toBeUndefined();
    const loopback = await attemptDelivery({
      url: 'https://127.0.0.1:9/x',
      id: 'evt_x',
      body: '{}',
      secrets: [generateWebhookSecret()],
      mode: 'production',
      timeoutMs: 3_000,
      timestampSeconds: Math.floor(Date.now() / 1000),
    });
    expect(loopback).toMatchObject({ kind: 'failed', error: expect.stringMatching(/url refused/) });
  });
});

describe('attempt', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') return setTimeout(() => res.end(), 5_000).unref();
      if (req.url === '/busy') {
        res.writeHead(429, { 'retry-after': '7' });
        return res.end();
      }
      res.writeHead(200);
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const attempt = (path: string, timeoutMs = 3_000) =>
    attemptDelivery({
      url: url + path,
      id: 'evt_a',
      body: '{}',
      secrets: [generateWebhookSecret()],
      mode: 'development',
      timeoutMs,
      timestampSeconds: Math.floor(Date.now() / 1000),
    });

  it('2xx delivers; 429 carries its Retry-After; a slow receiver times out', async () => {
    expect(await attempt('/ok')).toEqual({ kind: 'delivered', status: 200 });
    expect(await attempt('/busy')).toEqual({ kind: 'failed', status: 429, error: 'answered 429', retryAfterMs: 7_000 });
    expect(await attempt('/slow', 300)).toEqual({ kind: 'failed', error: 'timed out' });
  });

  it('reads Retry-After as seconds or a date, capped at a day', () => {
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(parseRetryAfter('999999999', 0)).toBe(86_400_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
  });
});

describe('outbox rows (written by the repositories, test/repositories/writes.test.ts)', () => {
  const before = {
    id: 'con_o',
    customerId: 'cust',
    aspspId: 'bec',
    status: 'active' as const,
    updatedAt: 5,
    currentConsentId: 'cns_o',
  };

  it('a status change gives connection.status_changed, and expiring_soon once per consent, keyed by the change', () => {
    const change = () =>
      connectionStatusEvents({ before, status: 'expiring_soon', reason: 'soon', at: 1_000, validUntil: '2030-01-31' });
    const rows = change();
    // A retried activity records the same change again: the same ids, which the insert ignores.
    expect(change().map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(rows.map((r) => r.type)).toEqual(['connection.status_changed', 'connection.expiring_soon']);
    expect(needsConsentValidity(before, 'expiring_soon')).toBe(true);
    expect(needsConsentValidity(before, 'active')).toBe(false);
    const soon = JSON.parse(rows[1].payload);
    expect(soon).toEqual({
      type: 'connection.expiring_soon',
      id: rows[1].id,
      createdAt: new Date(1_000).toISOString(),
      data: {
        connectionId: 'con_o',
        customerId: 'cust',
        aspspId: 'bec',
        status: 'expiring_soon',
        validUntil: '2030-01-31',
      },
    });
    // The same status is no change: no event.
    expect(connectionStatusEvents({ before, status: 'active', at: 2_000 })).toEqual([]);
    // Another change of the row (its updated_at) is another event.
    const later = connectionStatusEvents({ before: { ...before, updatedAt: 6 }, status: 'revoked', at: 3_000 });
    expect(later.map((r) => r.id)).not.toContain(rows[0].id);
  });

  it('payment.status_changed is keyed by the change', () => {
    const input = {
      paymentId: 'pay_9',
      customerId: 'cust',
      previousStatus: 'pending',
      status: 'completed',
      bankStatus: 'ACSC',
      changeId: 41,
      at: 9,
    };
    expect(paymentStatusChangedEvent(input)!.id).toBe(paymentStatusChangedEvent(input)!.id);
    expect(paymentStatusChangedEvent({ ...input, changeId: 42 })!.id).not.toBe(paymentStatusChangedEvent(input)!.id);
    expect(paymentStatusChangedEvent({ ...input, previousStatus: 'completed' })).toBeUndefined();
    expect(webhookEventId('payment.status_changed', 'pay_9:pending->completed:41')).toBe(
      paymentStatusChangedEvent(input)!.id,
    );
  });
});
