import { getEventListeners } from 'node:events';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../../logging/logger';
import { generateSandboxCertificates, inspectCertificate } from '../../../xs2a/certs';
import type { SandboxCertificateSet } from '../../../xs2a/certs/types';
import { Xs2aError } from '../../../xs2a/errors';
import { RateBudget } from '../../../xs2a/limits/rate-budget';
import { UnattendedAccessCounter } from '../../../xs2a/limits/unattended-counter';
import type { BankProfile, TppCredentials } from '../../../xs2a/profiles/types';
import { verifyXs2aRequest } from '../../../xs2a/signing';
import { createBankAgent, createTlsAgent } from '../../../xs2a/transport/agent';
import { HttpXs2aTransport, type HttpXs2aTransportOptions } from '../../../xs2a/transport/http-client';
import { testLogger } from '../../helpers/logger';
import { startMtlsServer, type MtlsHandler, type MtlsServer } from '../../helpers/mtls-server';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let certs: SandboxCertificateSet;
let credentials: TppCredentials;
let server: MtlsServer;
let handler: MtlsHandler;
const transports: HttpXs2aTransport[] = [];

function profile(overrides: Partial<BankProfile> = {}): BankProfile {
  return {
    id: 'test-bank',
    name: 'Test Bank',
    country: 'DK',
    environment: 'sandbox',
    services: ['ais', 'pis'],
    family: 'berlin-group',
    scaApproach: 'redirect',
    baseUrl: `${server.url}/psd2/0400`,
    paths: { consents: '/v1/consents', accounts: '/v1/accounts', accountKind: 'accounts' },
    signature: {
      digestAlgorithm: 'SHA-256',
      signatureAlgorithm: 'rsa-sha256',
      headerOrder: ['digest', 'x-request-id', 'psu-id', 'psu-corporate-id', 'tpp-redirect-uri'],
      caFormat: 'rfc4514',
      serialCase: 'lower',
    },
    consent: { maxValidityDays: 180, defaultFrequencyPerDay: 4, transactionHistoryDays: 90 },
    ...overrides,
  };
}

function transport(opts: Partial<HttpXs2aTransportOptions> = {}): HttpXs2aTransport {
  const t = new HttpXs2aTransport({
    profile: profile(),
    credentials,
    logger: testLogger(),
    // A generous private budget: the process-wide one is tested on its own.
    budget: new RateBudget({ perSecond: 10_000, perDay: 1_000_000 }),
    unattended: new UnattendedAccessCounter(),
    requestTimeoutMs: 5_000,
    ...opts,
  });
  transports.push(t);
  return t;
}

async function failure(promise: Promise<unknown>): Promise<Xs2aError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(Xs2aError);
  return outcome as Xs2aError;
}

const pem = (text: string) => text.replace(/\s+/g, '');

beforeAll(async () => {
  certs = generateSandboxCertificates();
  credentials = { qwac: certs.qwac, qseal: certs.qseal, bankCaPem: certs.ca.certificatePem };
  server = await startMtlsServer({ ca: certs.ca, handler: (...args) => handler(...args), requestCert: true });
});

afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await server?.close();
});

beforeEach(() => {
  server.requests.length = 0;
  handler = () => ({ status: 200, body: { ok: true } });
});

describe('HttpXs2aTransport over loopback mTLS', () => {
  it('presents the QWAC as TLS client certificate', async () => {
    const res = await transport().request({ method: 'GET', path: '/v1/accounts', operation: 'GET /v1/accounts' });
    expect(res.status).toBe(200);
    const seen = server.requests[0];
    expect(pem(seen.clientCertificatePem!)).toBe(pem(certs.qwac.certificatePem));
    expect(seen.clientCertificate?.serialNumber).toBe(inspectCertificate(certs.qwac.certificatePem).serialNumber);
    expect(seen.url).toBe('/psd2/0400/v1/accounts');
  });

  it('a client without a certificate is refused during TLS and nothing reaches the handler', async () => {
    const anonymous = createTlsAgent({ ca: certs.ca.certificatePem });
    const error = await failure(
      transport({ agent: anonymous }).request({ method: 'GET', path: '/v1/accounts', operation: 'GET /v1/accounts' }),
    );
    await anonymous.close();
    expect(error.kind).toBe('certificate');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('CERTIFICATE_REQUIRED');
    expect(server.requests).toHaveLength(0);
  });

  // A Node TLS server closes the connection without an alert when the client certificate does not
  // verify (OpenSSL sends one only for a missing certificate), so the client can only see a dropped
  // connection here; banks' TLS terminators that answer with bad_certificate/unknown_ca map to 'certificate'.
  it('a client certificate from another CA is refused at TLS before any request is read', async () => {
    const stranger = generateSandboxCertificates();
    const error = await failure(
      transport({ credentials: { ...credentials, qwac: stranger.qwac } }).request({
        method: 'GET',
        path: '/v1/accounts',
        operation: 'GET /v1/accounts',
      }),
    );
    expect(error.kind).toBe('network');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a bank whose server certificate does not chain to the configured CA bundle', async () => {
    const other = generateSandboxCertificates();
    const error = await failure(
      transport({ credentials: { ...credentials, bankCaPem: other.ca.certificatePem } }).request({
        method: 'GET',
        path: '/v1/accounts',
        operation: 'GET /v1/accounts',
      }),
    );
    expect(error.kind).toBe('configuration');
    expect(server.requests).toHaveLength(0);
  });

  it('signs the exact bytes received: X-Request-ID, Digest, Signature, TPP-Signature-Certificate verify on the server', async () => {
    const t = transport({
      profile: profile({
        hooks: {
          extraHeaders: (op): Record<string, string> => (op.startsWith('POST') ? { 'X-Bank-Extra': 'yes' } : {}),
        },
      }),
    });
    const json = {
      access: { balances: [], transactions: [] },
      recurringIndicator: true,
      validUntil: '2026-12-31',
      frequencyPerDay: 4,
      note: 'æøå ✓',
    };
    const res = await t.request({
      method: 'POST',
      path: '/v1/consents',
      operation: 'POST /v1/consents',
      json,
      psuIpAddress: '192.0.2.10',
      headers: { 'TPP-Redirect-URI': 'https://tpp.example/cb', 'PSU-ID': 'psu-1' },
    });
    const seen = server.requests[0];
    expect(seen.headers['x-request-id']).toMatch(UUID);
    expect(res.requestId).toBe(seen.headers['x-request-id']);
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.headers.accept).toBe('application/json');
    expect(seen.headers['psu-ip-address']).toBe('192.0.2.10');
    expect(seen.headers['x-bank-extra']).toBe('yes');
    expect(seen.headers.digest).toMatch(/^SHA-256=/);
    expect(seen.headers.signature).toContain('headers="digest x-request-id psu-id tpp-redirect-uri"');
    expect(seen.headers['tpp-signature-certificate']).toBeTruthy();
    expect(JSON.parse(seen.body.toString('utf8'))).toEqual(json);

    const verification = verifyXs2aRequest({ headers: seen.headers, body: seen.body, strict: true });
    expect(verification.errors).toEqual([]);
    expect(verification.ok).toBe(true);

    // The same check fails if a single byte differs: the test can tell a wrong digest apart.
    const tampered = Buffer.from(seen.body);
    tampered[tampered.length - 2] ^= 1;
    expect(verifyXs2aRequest({ headers: seen.headers, body: tampered }).ok).toBe(false);
  });

  it('signs bodiless GETs and token-style form posts, and sends a fresh X-Request-ID every time', async () => {
    const t = transport();
    await t.request({
      method: 'GET',
      path: '/v1/accounts',
      operation: 'GET /v1/accounts',
      consentId: 'consent-42',
      accessToken: 'at-1',
    });
    await t.request({
      method: 'POST',
      path: '/oauth/token',
      operation: 'POST token',
      form: { grant_type: 'client_credentials', scope: 'aisp' },
    });
    await t.request({ method: 'GET', path: '/v1/accounts', operation: 'GET /v1/accounts', signed: false });
    const [get, form, unsigned] = server.requests;
    expect(get.headers['consent-id']).toBe('consent-42');
    expect(get.headers.authorization).toBe('Bearer at-1');
    expect(verifyXs2aRequest({ headers: get.headers, body: get.body }).ok).toBe(true);
    expect(form.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form.body.toString()).toBe('grant_type=client_credentials&scope=aisp');
    expect(verifyXs2aRequest({ headers: form.headers, body: form.body }).ok).toBe(true);
    expect(unsigned.headers.signature).toBeUndefined();
    expect(unsigned.headers.digest).toBeUndefined();
    const ids = server.requests.map((r) => r.headers['x-request-id']);
    expect(new Set(ids).size).toBe(3);
  });

  it('resolves query parameters, absolute links and host-relative links', async () => {
    const t = transport();
    await t.request({
      method: 'GET',
      path: '/v1/accounts/a1/transactions',
      query: { bookingStatus: 'booked', dateFrom: '2026-01-01', skip: undefined },
      operation: 'tx',
    });
    await t.request({ method: 'GET', path: '/psd2/0400/v1/accounts/a1/transactions?page=2', operation: 'tx' });
    await t.request({
      method: 'GET',
      path: `${server.url}/psd2/0400/v1/accounts/a1/transactions?page=3`,
      operation: 'tx',
    });
    expect(server.requests.map((r) => r.url)).toEqual([
      '/psd2/0400/v1/accounts/a1/transactions?bookingStatus=booked&dateFrom=2026-01-01',
      '/psd2/0400/v1/accounts/a1/transactions?page=2',
      '/psd2/0400/v1/accounts/a1/transactions?page=3',
    ]);
  });

  it('keeps connections alive: 100 sequential requests need no more handshakes than connections', async () => {
    const connections = 2;
    const agent = createBankAgent(credentials, { connections });
    const t = transport({ agent });
    const before = server.connections;
    for (let i = 0; i < 100; i++)
      await t.request({ method: 'GET', path: '/v1/accounts', operation: 'GET /v1/accounts' });
    await agent.close();
    expect(t.stats().requests).toBe(100);
    expect(t.stats().tlsHandshakes).toBeGreaterThanOrEqual(1);
    expect(t.stats().tlsHandshakes).toBeLessThanOrEqual(connections);
    expect(server.connections - before).toBeLessThanOrEqual(connections);
  });

  it('validates 2xx bodies with the schema and returns the parsed data; an empty 204 is fine', async () => {
    const schema = z.object({ accounts: z.array(z.object({ resourceId: z.string(), iban: z.string() })) });
    handler = () => ({ status: 200, body: { accounts: [{ resourceId: 'a1', iban: 'DK5000400440116243' }] } });
    const ok = await transport().request({
      method: 'GET',
      path: '/v1/accounts',
      operation: 'GET /v1/accounts',
      schema,
    });
    expect(ok.data.accounts[0].iban).toBe('DK5000400440116243');
    expect(ok.headers['content-type']).toBe('application/json');

    handler = () => ({ status: 204 });
    const empty = await transport().request({
      method: 'DELETE',
      path: '/v1/consents/c1',
      operation: 'DELETE /v1/consents/{id}',
      schema,
    });
    expect(empty.status).toBe(204);
    expect(empty.data).toBeUndefined();
  });

  it('a schema mismatch is invalid_response naming the field', async () => {
    const schema = z.object({ accounts: z.array(z.object({ resourceId: z.string(), iban: z.string() })) });
    handler = () => ({ status: 200, body: { accounts: [{ resourceId: 'a1', iban: 42 }] } });
    const error = await failure(
      transport().request({ method: 'GET', path: '/v1/accounts', operation: 'GET /v1/accounts', schema }),
    );
    expect(error.kind).toBe('invalid_response');
    expect(error.field).toBe('accounts[0].iban');
    expect(error.message).toContain('accounts[0].iban');
    expect(error.retryable).toBe(false);
    expect(error.requestId).toMatch(UUID);
  });

  it('a body that is not JSON is malformed_response (retryable)', async () => {
    handler = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"accounts": [' });
    const error = await failure(
      transport().request({ method: 'GET', path: '/v1/accounts', operation: 'GET /v1/accounts' }),
    );
    expect(error.kind).toBe('malformed_response');
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(200);
  });

  it('429 with a Retry-After longer than we wait is rate_limited with retryAfterMs, sent once', async () => {
    handler = () => ({
      status: 429,
      headers: { 'retry-after': '60' },
      body: { tppMessages: [{ category: 'ERROR', code: 'TOO_MANY_REQUESTS' }] },
    });
    const error = await failure(
      transport().request({ method: 'GET', path: '/v1/accounts', operation: 'GET /v1/accounts' }),
    );
    expect(error).toMatchObject({
      kind: 'rate_limited',
      status: 429,
      retryAfterMs: 60_000,
      aspsp: 'test-bank',
      operation: 'GET /v1/accounts',
    });
    expect(error.retryable).toBe(true);
    expect(server.requests).toHaveLength(1);
    expect(error.requestId).toBe(server.requests[0].headers['x-request-id']);
  });

  it('429 with a short Retry-After is waited out and resent as a new signed request', async () => {
    let calls = 0;
    handler = () =>
      ++calls === 1
        ? {
            status: 429,
            headers: { 'retry-after': '1' },
            body: { tppMessages: [{ category: 'ERROR', code: 'TOO_MANY_REQUESTS' }] },
          }
        : { status: 200, body: { accounts: [] } };
    const started = Date.now();
    const res = await transport().request({ method: 'GET', path: '/v1/accounts', operation: 'GET /v1/accounts' });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
    expect(res.requestId).toBe(second.headers['x-request-id']);
    expect(verifyXs2aRequest({ headers: second.headers, body: second.body }).ok).toBe(true);

    // Resends are bounded: a bank that keeps saying 429 is an error after rateLimitResends.
    handler = () => ({
      status: 429,
      headers: { 'retry-after': '0' },
      body: { tppMessages: [{ category: 'ERROR', code: 'TOO_MANY_REQUESTS' }] },
    });
    const before = server.requests.length;
    await failure(
      transport({ rateLimitResends: 2 }).request({
        method: 'GET',
        path: '/v1/accounts',
        operation: 'GET /v1/accounts',
      }),
    );
    expect(server.requests.length - before).toBe(3);
  });

  it("the 429 wait is abortable: the caller's reason comes back at once and nothing more is sent", async () => {
    handler = () => ({
      status: 429,
      headers: { 'retry-after': '5' },
      body: { tppMessages: [{ category: 'ERROR', code: 'TOO_MANY_REQUESTS' }] },
    });
    const controller = new AbortController();
    const started = Date.now();
    const pending = transport().request({
      method: 'GET',
      path: '/v1/accounts',
      operation: 'op',
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('activity cancelled')), 200);
    await expect(pending).rejects.toThrow('activity cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
    // undici drops its own listener a tick after the body is read.
    await new Promise((resolve) => setImmediate(resolve));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it("a 429 wait that ends normally leaves no abort listener on the caller's signal", async () => {
    let calls = 0;
    handler = () =>
      ++calls === 1
        ? {
            status: 429,
            headers: { 'retry-after': '1' },
            body: { tppMessages: [{ category: 'ERROR', code: 'TOO_MANY_REQUESTS' }] },
          }
        : { status: 200, body: { accounts: [] } };
    const controller = new AbortController();
    const res = await transport().request({
      method: 'GET',
      path: '/v1/accounts',
      operation: 'op',
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(server.requests).toHaveLength(2);
    // undici drops its own listener a tick after the body is read.
    await new Promise((resolve) => setImmediate(resolve));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('maxRateLimitWaitMs caps the total 429 waiting of one call, not each resend', async () => {
    handler = () => ({
      status: 429,
      headers: { 'retry-after': '1' },
      body: { tppMessages: [{ category: 'ERROR', code: 'TOO_MANY_REQUESTS' }] },
    });
    const started = Date.now();
    const error = await failure(
      transport({ maxRateLimitWaitMs: 1_500, rateLimitResends: 3 }).request({
        method: 'GET',
        path: '/v1/accounts',
        operation: 'op',
      }),
    );
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 1_000 });
    // One 1 s wait fits in 1.5 s; a second would make 2 s.
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1_900);
  });

  it('maxRateLimitWaitMs 0 disables resending, even for Retry-After: 0', async () => {
    handler = () => ({
      status: 429,
      headers: { 'retry-after': '0' },
      body: { tppMessages: [{ category: 'ERROR', code: 'TOO_MANY_REQUESTS' }] },
    });
    const error = await failure(
      transport({ maxRateLimitWaitMs: 0 }).request({ method: 'GET', path: '/v1/accounts', operation: 'op' }),
    );
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 0 });
    expect(server.requests).toHaveLength(1);
  });

  it('503 is a retryable server error; 401 TOKEN_EXPIRED is token_invalid; an unknown 400 code is kept', async () => {
    handler = () => ({ status: 503, body: 'Service Unavailable' });
    const down = await failure(transport().request({ method: 'GET', path: '/v1/accounts', operation: 'op' }));
    expect(down).toMatchObject({ kind: 'server', status: 503 });
    expect(down.retryable).toBe(true);

    handler = () => ({
      status: 401,
      body: { tppMessages: [{ category: 'ERROR', code: 'TOKEN_EXPIRED', text: 'expired' }] },
    });
    const expired = await failure(
      transport().request({ method: 'GET', path: '/v1/accounts', operation: 'op', accessToken: 'at-secret-1' }),
    );
    expect(expired).toMatchObject({ kind: 'token_invalid', status: 401, code: 'TOKEN_EXPIRED' });
    expect(expired.message).not.toContain('at-secret-1');

    handler = () => ({
      status: 400,
      body: { tppMessages: [{ category: 'ERROR', code: 'FOO_BAR', text: 'new to us' }] },
    });
    const unknown = await failure(transport().request({ method: 'GET', path: '/v1/accounts', operation: 'op' }));
    expect(unknown).toMatchObject({ kind: 'bad_request', status: 400, code: 'FOO_BAR' });
    expect(unknown.retryable).toBe(false);
  });

  it('a server that never answers is a timeout within the configured time', async () => {
    handler = () => undefined;
    const started = Date.now();
    const error = await failure(
      transport({ requestTimeoutMs: 400 }).request({ method: 'GET', path: '/v1/accounts', operation: 'op' }),
    );
    const elapsed = Date.now() - started;
    expect(error.kind).toBe('timeout');
    expect(error.retryable).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('a dropped connection and a refused connection are network errors', async () => {
    handler = (req) => {
      req.socket.destroy();
    };
    const dropped = await failure(transport().request({ method: 'GET', path: '/v1/accounts', operation: 'op' }));
    expect(dropped.kind).toBe('network');
    expect(dropped.retryable).toBe(true);

    const closed = await startMtlsServer({ ca: certs.ca, handler: () => ({ status: 200 }) });
    const deadUrl = closed.url;
    await closed.close();
    const refused = await failure(
      transport({ profile: profile({ baseUrl: deadUrl }) }).request({
        method: 'GET',
        path: '/v1/accounts',
        operation: 'op',
      }),
    );
    expect(refused.kind).toBe('network');
    expect(refused.message).toContain('ECONNREFUSED');
  });

  it('the caller aborting is passed through, not turned into a bank error', async () => {
    handler = () => undefined;
    const controller = new AbortController();
    const pending = transport().request({
      method: 'GET',
      path: '/v1/accounts',
      operation: 'op',
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    await expect(pending).rejects.toThrow('activity cancelled');
  });

  it('refuses unattended reads locally once frequencyPerDay is used up; reads with PSU-IP-Address are not counted', async () => {
    let now = Date.UTC(2026, 4, 5, 10, 0, 0);
    const counter = new UnattendedAccessCounter(() => now);
    const t = transport({ unattended: counter, now: () => now });
    const unattended = { consentId: 'consent-7', endpoint: 'accounts/a1/transactions', frequencyPerDay: 2 };
    const read = (extra: { psuIpAddress?: string } = {}) =>
      t.request({
        method: 'GET',
        path: '/v1/accounts/a1/transactions',
        operation: 'tx',
        consentId: 'consent-7',
        unattended,
        ...extra,
      });

    await read();
    await read();
    await read({ psuIpAddress: '192.0.2.1' });
    expect(server.requests).toHaveLength(3);
    const error = await failure(read());
    expect(error.kind).toBe('access_exceeded');
    expect(error.retryAfterMs).toBe(14 * 3_600_000);
    expect(server.requests).toHaveLength(3);
    // Another endpoint is counted on its own.
    await t.request({
      method: 'GET',
      path: '/v1/accounts/a1/balances',
      operation: 'bal',
      unattended: { ...unattended, endpoint: 'accounts/a1/balances' },
    });
    expect(server.requests).toHaveLength(4);

    now = Date.UTC(2026, 4, 6, 0, 0, 1);
    await read();
    expect(server.requests).toHaveLength(5);
  });

  it('waits for the rate budget before sending and refuses without sending when the daily budget is gone', async () => {
    const t = transport({ budget: new RateBudget({ perSecond: 4, perDay: 6 }) });
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 6 }, () => t.request({ method: 'GET', path: '/v1/accounts', operation: 'op' })),
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(400);
    const error = await failure(t.request({ method: 'GET', path: '/v1/accounts', operation: 'op' }));
    expect(error).toMatchObject({ kind: 'rate_limited', aspsp: 'test-bank', operation: 'op' });
    expect(error.requestId).toMatch(UUID);
    expect(error.retryAfterMs).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(6);
    expect(t.stats().requests).toBe(6);
  });

  it('sends each request only once the shared limiter grants it, after the in-process budget', async () => {
    const asked: number[] = [];
    const grants: number[] = [];
    let budgetTaken = 0;
    const budget = new RateBudget({ perSecond: 10_000, perDay: 1_000_000 });
    const acquireBudget = budget.acquire.bind(budget);
    budget.acquire = async (signal) => {
      await acquireBudget(signal);
      budgetTaken++;
    };
    // Grants one request every 100 ms, in the order asked, as the fleet's limiter spaces its slots.
    let next = Date.now();
    const t = transport({
      budget,
      limiter: {
        async acquire() {
          asked.push(budgetTaken);
          next = Math.max(next, Date.now()) + 100;
          await new Promise((resolve) => setTimeout(resolve, next - 100 - Date.now()));
          grants.push(Date.now());
        },
      },
    });
    const received: number[] = [];
    handler = () => {
      received.push(Date.now());
      return { status: 200, body: {} };
    };
    await Promise.all(
      Array.from({ length: 4 }, () => t.request({ method: 'GET', path: '/v1/accounts', operation: 'op' })),
    );
    // Each ask came after its own budget token: the limiter is the last gate before sending.
    expect(asked).toHaveLength(4);
    asked.forEach((taken, i) => expect(taken).toBeGreaterThanOrEqual(i + 1));
    expect(received).toHaveLength(4);
    // No request reached the bank before its grant.
    received.sort((a, b) => a - b);
    grants.sort((a, b) => a - b);
    received.forEach((at, i) => expect(at).toBeGreaterThanOrEqual(grants[i]));
    expect(received[3] - received[0]).toBeGreaterThanOrEqual(290);
  });

  it("refuses without sending when the shared limiter refuses or cannot be asked (a retryable 'rate_limited')", async () => {
    const refusing = transport({
      limiter: {
        acquire: () =>
          Promise.reject(new Xs2aError('fleet budget used up', { kind: 'rate_limited', retryAfterMs: 7_000 })),
      },
    });
    const refused = await failure(refusing.request({ method: 'GET', path: '/v1/accounts', operation: 'op' }));
    expect(refused).toMatchObject({ kind: 'rate_limited', retryAfterMs: 7_000, aspsp: 'test-bank', operation: 'op' });

    const broken = transport({ limiter: { acquire: () => Promise.reject(new Error('connection terminated')) } });
    const unasked = await failure(
      broken.request({ method: 'POST', path: '/v1/payments/x', operation: 'pay', json: {} }),
    );
    expect(unasked).toMatchObject({ kind: 'rate_limited', retryable: true, aspsp: 'test-bank', operation: 'pay' });
    expect(unasked.message).toMatch(/nothing was sent: connection terminated/);
    expect(unasked.status).toBeUndefined();
    expect(server.requests).toHaveLength(0);
    expect(refusing.stats().requests + broken.stats().requests).toBe(0);
  });

  it('logs one line per request and never a token, signature, certificate or token-request body', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ level: 'debug', name: 'capture' }, sink);
    const t = transport({ logger });
    const secrets = {
      accessToken: 'access-token-SECRET-1',
      refreshToken: 'refresh-token-SECRET-2',
      verifier: 'pkce-verifier-SECRET-3',
    };

    handler = (req) =>
      req.url?.includes('token')
        ? {
            status: 200,
            body: {
              access_token: 'issued-token-SECRET-4',
              refresh_token: 'issued-refresh-SECRET-5',
              token_type: 'Bearer',
            },
          }
        : { status: 200, body: { ok: true } };
    await t.request({
      method: 'GET',
      path: '/v1/accounts',
      operation: 'GET /v1/accounts',
      accessToken: secrets.accessToken,
      attempt: 3,
    });
    await t.request({
      method: 'POST',
      path: '/oauth/token',
      operation: 'POST token',
      form: { grant_type: 'refresh_token', refresh_token: secrets.refreshToken, code_verifier: secrets.verifier },
    });
    handler = () => ({ status: 401, body: { tppMessages: [{ category: 'ERROR', code: 'TOKEN_INVALID' }] } });
    const error = await failure(
      t.request({
        method: 'GET',
        path: '/v1/accounts',
        operation: 'GET /v1/accounts',
        accessToken: secrets.accessToken,
      }),
    );
    expect(JSON.stringify(error)).not.toContain('SECRET');

    const seen = server.requests.slice(0, 2);
    const signature = String(seen[0].headers.signature);
    const certificateBody = String(seen[0].headers['tpp-signature-certificate']).slice(0, 60);
    const qwacBody = pem(certs.qwac.certificatePem).slice(40, 100);
    const log = lines.join('');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const needle of [
      ...Object.values(secrets),
      'issued-token-SECRET-4',
      'issued-refresh-SECRET-5',
      'Bearer',
      signature.slice(-40),
      certificateBody,
      qwacBody,
    ]) {
      expect(log).not.toContain(needle);
    }

    const first = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(first).toMatchObject({
      level: 20,
      aspsp: 'test-bank',
      method: 'GET',
      operation: 'GET /v1/accounts',
      status: 200,
      attempt: 3,
    });
    expect(first.requestId).toMatch(UUID);
    expect(typeof first.ms).toBe('number');
    const last = JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    expect(last).toMatchObject({ level: 40, status: 401, kind: 'token_invalid', tppCode: 'TOKEN_INVALID' });
  });
});
