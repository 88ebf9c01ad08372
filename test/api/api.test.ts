import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { OpenAPIBackend } from 'openapi-backend';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { createApiKey, revokeApiKey } from '../../api/auth/api-keys';
import { bankSetupsFromEnv } from '../../banks/from-env';
import { idempotentId } from '../../api/idempotency';
import { NotReadyError } from '../../api/routes/health/routes';
import { writeCertificateSet } from '../../xs2a/certs';
import { createLogger } from '../../logging/logger';
import { AppMetrics } from '../../metrics/registry';
import { describeEachBackend } from '../helpers/backends';
import { startApi, type ApiHarness } from './helpers';

describeEachBackend('REST API', (backend) => {
  let api: ApiHarness;
  let admin: string; // every scope, every customer

  beforeAll(async () => {
    api = await startApi({ backend });
    admin = await api.key();
  });
  afterAll(async () => api?.stop());

  const REDIRECT = 'https://product.example/bank-connected';
  const createBody = (customerId: string, extra: Record<string, unknown> = {}) => ({
    aspspId: 'bec',
    customerId,
    redirectUrl: REDIRECT,
    ...extra,
  });

  function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number) {
    expect(res.statusCode).toBe(status);
    expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({ status, title: expect.any(String), type: expect.any(String) });
    return body as { detail?: string; errors?: { field: string; message: string }[]; instance?: string };
  }

  async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await fn();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  describe('authentication and authorisation', () => {
    it('401 problem with WWW-Authenticate for a missing, unknown, malformed or revoked key', async () => {
      for (const auth of [undefined, 'Bearer obk_nope_nope_nope_nope', 'Basic abc']) {
        const res = await api.app.inject({
          method: 'GET',
          url: '/v1/aspsps',
          headers: auth ? { authorization: auth } : {},
        });
        expectProblem(res, 401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }
      const keys = api.stack.deps.repositories.apiKeys;
      const { id, key } = await createApiKey(keys, { name: 'soon revoked' });
      expect((await api.call('GET', '/v1/aspsps', key)).statusCode).toBe(200);
      await revokeApiKey(keys, id);
      expectProblem(await api.call('GET', '/v1/aspsps', key), 401);
    });

    it('403 when the key lacks the scope', async () => {
      const readOnly = await api.key({ scopes: ['aspsps:read'] });
      expect((await api.call('GET', '/v1/aspsps', readOnly)).statusCode).toBe(200);
      const body = expectProblem(await api.call('POST', '/v1/connections', readOnly, createBody('c-scope')), 403);
      expect(body.detail).toContain('connections:write');
      expectProblem(await api.call('GET', '/v1/connections?customerId=x', readOnly), 403);
    });

    it('records last_used_at, at most once a minute', async () => {
      const { id, key } = await createApiKey(api.stack.deps.repositories.apiKeys, { name: 'usage' });
      const lastUsed = async () => (await api.stack.db.select('apiKeys', { id }))[0].lastUsedAt;
      expect(await lastUsed()).toBeNull();
      await api.call('GET', '/v1/aspsps', key);
      const first = await lastUsed();
      expect(first).toEqual(expect.any(Number));
      await api.stack.db.update('apiKeys', { id }, { lastUsedAt: first! - 1_000 });
      await api.call('GET', '/v1/aspsps', key);
      expect(await lastUsed()).toBe(first! - 1_000); // within the minute: not written again
    });

    it('unknown routes are 404 problems, with or without a key', async () => {
      expectProblem(await api.call('GET', '/v1/nothing-here', undefined), 404);
      expectProblem(await api.call('GET', '/v1/nothing-here', admin), 404);
    });
  });

  describe('GET /v1/aspsps', () => {
    it('lists the configured banks', async () => {
      const res = await api.call('GET', '/v1/aspsps', admin);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(
        expect.arrayContaining([
          {
            id: 'bec',
            name: expect.any(String),
            country: 'DK',
            services: expect.arrayContaining(['ais']),
            environment: 'sandbox',
          },
          expect.objectContaining({ id: 'enfuce-rocker' }),
          expect.objectContaining({ id: 'enfuce-st1' }),
        ]),
      );
    });
  });

  describe('POST /v1/connections: bad input', () => {
    it('400 for malformed JSON and wrong JSON types', async () => {
      expectProblem(
        await api.call('POST', '/v1/connections', admin, '{"aspspId": "bec",', { 'content-type': 'application/json' }),
        400,
      );
      const wrongType = expectProblem(
        await api.call('POST', '/v1/connections', admin, { aspspId: 123, customerId: 'c', redirectUrl: REDIRECT }),
        400,
      );
      expect(wrongType.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'aspspId' })]));
    });

    it('422 naming each missing or invalid field', async () => {
      const missing = expectProblem(await api.call('POST', '/v1/connections', admin, {}), 422);
      expect(missing.errors!.map((e) => e.field).sort()).toEqual(['aspspId', 'customerId', 'redirectUrl']);
      const invalid = expectProblem(
        await api.call(
          'POST',
          '/v1/connections',
          admin,
          createBody('c-bad', { redirectUrl: '/relative', validUntil: '2026-13-45', frequencyPerDay: 5 }),
        ),
        422,
      );
      expect(invalid.errors!.map((e) => e.field).sort()).toEqual(['frequencyPerDay', 'redirectUrl', 'validUntil']);
      const ftp = expectProblem(
        await api.call('POST', '/v1/connections', admin, createBody('c-bad', { redirectUrl: 'ftp://x.example/' })),
        422,
      );
      expect(ftp.errors![0].field).toBe('redirectUrl');
    });

    it('422 from the service for an unknown bank', async () => {
      const unknown = expectProblem(
        await api.call('POST', '/v1/connections', admin, { ...createBody('c-bad'), aspspId: 'nobank' }),
        422,
      );
      expect(unknown.errors).toEqual([expect.objectContaining({ field: 'aspspId' })]);
    });

    it('validUntil beyond the bank’s maximum is shortened to it, a past one asks until today; the answer says so', async () => {
      const now = api.stack.deps.now!();
      const day = (offset: number) => new Date(now + offset * 86_400_000).toISOString().slice(0, 10);
      const lastConsentBody = () =>
        JSON.parse(
          String(
            api.stack.sandbox
              .requestLog('bec')
              .filter((e) => e.method === 'POST' && e.path.endsWith('/v1/consents'))
              .at(-1)?.body,
          ),
        ) as { validUntil: string };
      for (const [asked, expected, notice] of [
        [day(400), day(179), /at most 180 days/],
        ['9999-12-31', day(179), /at most 180 days/],
        [day(-2), day(0), /past/],
        ['0020-02-29', day(0), /past/],
        [day(30), day(30), undefined],
      ] as const) {
        const res = await api.call(
          'POST',
          '/v1/connections',
          admin,
          createBody('c-valid-until', { validUntil: asked }),
        );
        expect(res.statusCode, res.body).toBe(201);
        const body = res.json();
        expect(body.validUntil, asked).toBe(expected);
        expect(lastConsentBody().validUntil).toBe(expected);
        if (notice) expect(body.notices).toEqual([{ field: 'validUntil', message: expect.stringMatching(notice) }]);
        else expect(body).not.toHaveProperty('notices');
      }
    });

    it('an IPv6 PSU where the bank takes only IPv4: the connection goes ahead without it, naming X-PSU-IP-Address; an IPv4-mapped one is sent as IPv4', async () => {
      const consentCall = () =>
        api.stack.sandbox
          .requestLog('bec')
          .filter((e) => e.method === 'POST' && e.path.endsWith('/v1/consents'))
          .at(-1);
      const v6 = await api.call('POST', '/v1/connections', admin, createBody('c-v6'), {
        'x-psu-ip-address': '2001:db8::7',
      });
      expect(v6.statusCode, v6.body).toBe(201);
      expect(v6.json().notices).toEqual([
        { field: 'X-PSU-IP-Address', message: expect.stringMatching(/IPv4.*not sent.*0\.0\.0\.0/) },
      ]);
      expect(consentCall()?.headers['psu-ip-address']).toBe('0.0.0.0');
      const mapped = await api.call('POST', '/v1/connections', admin, createBody('c-v6'), {
        'x-psu-ip-address': '::ffff:192.0.2.77',
      });
      expect(mapped.statusCode).toBe(201);
      expect(mapped.json()).not.toHaveProperty('notices');
      expect(consentCall()?.headers['psu-ip-address']).toBe('192.0.2.77');
    });

    it('403 when the key is not issued for the customer', async () => {
      const key = await api.key({ customers: ['alice'] });
      const body = expectProblem(await api.call('POST', '/v1/connections', key, createBody('bob')), 403);
      expect(body.errors).toEqual([expect.objectContaining({ field: 'customerId' })]);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the stored answer for the same body, refuses another body, and creates one connection', async () => {
      const key = await api.key();
      const headers = { 'idempotency-key': 'order-1' };
      const first = await api.call('POST', '/v1/connections', key, createBody('idem'), headers);
      expect(first.statusCode).toBe(201);
      expect(first.headers['idempotency-replayed']).toBeUndefined();
      // Same body with keys in another order is the same request.
      const again = await api.call(
        'POST',
        '/v1/connections',
        key,
        { redirectUrl: REDIRECT, customerId: 'idem', aspspId: 'bec' },
        headers,
      );
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotency-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      // The key is taken by another body: a conflict (409), not a fault in this body.
      const other = expectProblem(
        await api.call('POST', '/v1/connections', key, createBody('idem', { frequencyPerDay: 2 }), headers),
        409,
      );
      expect(other.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
      const list = await api.call('GET', '/v1/connections?customerId=idem', key);
      expect(list.json().connections).toHaveLength(1);
      // Another API key with the same Idempotency-Key is another request.
      const otherKey = await api.call('POST', '/v1/connections', await api.key(), createBody('idem'), headers);
      expect(otherKey.statusCode).toBe(201);
      expect(otherKey.json().id).not.toBe(first.json().id);
    });

    it('a reservation left by a crashed request is taken over and lands on the same connection id', async () => {
      const { id: keyId, key } = await createApiKey(api.stack.deps.repositories.apiKeys, { name: 'crashy' });
      const body = createBody('idem-crash');
      // What a crash between reserving and answering leaves behind: a reservation with no answer, a minute old.
      const { requestHash } = await import('../../api/idempotency');
      await api.stack.db.insert('idempotencyKeys', [
        { apiKeyId: keyId, key: 'crash-1', requestHash: requestHash(body), createdAt: api.stack.deps.now!() - 120_000 },
      ]);
      const res = await api.call('POST', '/v1/connections', key, body, { 'idempotency-key': 'crash-1' });
      expect(res.statusCode).toBe(201);
      expect(res.json().id).toBe(idempotentId('con', keyId, 'crash-1'));
      const replay = await api.call('POST', '/v1/connections', key, body, { 'idempotency-key': 'crash-1' });
      expect(replay.headers['idempotency-replayed']).toBe('true');
      expect(replay.json()).toEqual(res.json());
    });

    it('409 for a concurrent duplicate still in flight', async () => {
      const key = await api.key();
      const headers = { 'idempotency-key': 'concurrent-1' };
      const [a, b] = await Promise.all([
        api.call('POST', '/v1/connections', key, createBody('idem-concurrent'), headers),
        api.call('POST', '/v1/connections', key, createBody('idem-concurrent'), headers),
      ]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([201, 409]);
    });

    it('refuses an Idempotency-Key longer than 255 characters', async () => {
      const res = await api.call('POST', '/v1/connections', admin, createBody('idem-long'), {
        'idempotency-key': 'x'.repeat(256),
      });
      expect(expectProblem(res, 422).errors![0].field).toBe('idempotency-key');
    });
  });

  describe('a connection’s life through the API', () => {
    it('create → PSU approves via /callback → accounts, balances, transactions → sync → reauthorise → delete', async () => {
      const customer = 'flow-customer';
      const key = await api.key({ customers: [customer] });
      const created = await api.call('POST', '/v1/connections', key, createBody(customer), {
        'x-psu-ip-address': '198.51.100.7',
      });
      expect(created.statusCode).toBe(201);
      const { id, status, authorisationUrl } = created.json();
      expect(status).toBe('awaiting_authorisation');
      expect(authorisationUrl).toMatch(/^https:\/\/127\.0\.0\.1:/);

      const pending = (await api.call('GET', `/v1/connections/${id}`, key)).json();
      expect(pending).toMatchObject({ id, customerId: customer, aspspId: 'bec', status: 'awaiting_authorisation' });

      const callback = await api.psuThroughApi(authorisationUrl, 'approve');
      expect(callback.statusCode).toBe(302);
      const landing = new URL(String(callback.headers.location));
      expect(`${landing.origin}${landing.pathname}`).toBe(REDIRECT);
      expect(landing.searchParams.get('connectionId')).toBe(id);
      expect(landing.searchParams.get('outcome')).toBe('approved');

      const active = await until('active connection', async () => {
        const view = (await api.call('GET', `/v1/connections/${id}`, key)).json();
        return view.status === 'active' && view.lastSyncAt ? view : undefined;
      });
      expect(active.validUntil).toMatch(/^\d{4}-\d{2}-\d{2}$/);

      // The key for exactly one customer may omit customerId.
      const listed = (await api.call('GET', '/v1/connections', key)).json().connections;
      expect(listed.map((c: { id: string }) => c.id)).toEqual([id]);

      const accounts = await until('accounts', async () => {
        const list = (await api.call('GET', `/v1/connections/${id}/accounts`, key)).json().accounts;
        return list.length > 0 ? list : undefined;
      });
      for (const account of accounts) {
        expect(account).not.toHaveProperty('resourceId');
        expect(account.id).not.toBe(account.resourceId);
        expect(account.connectionId).toBe(id);
      }
      const withBalances = accounts.find((a: { balances: unknown[] }) => a.balances.length > 0);
      expect(withBalances, 'an account with balances').toBeDefined();
      expect(typeof withBalances.balances[0].amount).toBe('string');

      const accountId: string = withBalances.id;
      const one = await api.call('GET', `/v1/accounts/${accountId}`, key);
      expect(one.statusCode).toBe(200);
      expect(one.json()).toEqual(withBalances);

      const balances = (await api.call('GET', `/v1/accounts/${accountId}/balances`, key)).json();
      expect(balances.history).toBeUndefined();
      expect(balances.balances.length).toBeGreaterThan(0);
      const withHistory = (await api.call('GET', `/v1/accounts/${accountId}/balances?history=true`, key)).json();
      expect(withHistory.history.length).toBeGreaterThan(0);
      expectProblem(await api.call('GET', `/v1/accounts/${accountId}/balances?history=maybe`, key), 422);

      // A sync-now waits for any sync in progress: after it, nothing writes transactions behind our back.
      const sync = await api.call('POST', `/v1/connections/${id}/sync`, key, { psuIpAddress: '198.51.100.7' });
      expect(sync.statusCode).toBe(200);
      expect(sync.json()).toMatchObject({
        outcome: 'ok',
        accounts: accounts.length,
        syncRunId: expect.any(String),
        finishedAt: expect.any(String),
        psuPresent: true,
      });
      expect(sync.json()).not.toHaveProperty('notices');
      expect(
        expectProblem(await api.call('POST', `/v1/connections/${id}/sync`, key, { psuIpAddress: 'not-an-ip' }), 422)
          .errors![0].field,
      ).toBe('psuIpAddress');

      // Pagination: the pages together are exactly the stored rows in (date desc, id desc) order, no duplicates, no gaps.
      // (date desc, id desc), ids compared bytewise as both backends order them.
      const expected = (await api.stack.db.select('transactions', { accountId }))
        .sort((a, b) => (a.date !== b.date ? (a.date < b.date ? 1 : -1) : a.id < b.id ? 1 : -1))
        .map((t) => t.id);
      expect(expected.length, 'the sandbox ledger should give several transactions').toBeGreaterThan(6);
      const walk = async (limit: number, maxPages: number) => {
        const seen: { id: string; amount: unknown }[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const res = await api.call(
            'GET',
            `/v1/accounts/${accountId}/transactions?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
            key,
          );
          expect(res.statusCode).toBe(200);
          const page = res.json();
          expect(page.transactions.length).toBeLessThanOrEqual(limit);
          seen.push(...page.transactions);
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < maxPages);
        return { seen, cursor };
      };
      const full = await walk(100, 1_000);
      expect(full.cursor).toBeUndefined();
      expect(full.seen.map((t) => t.id)).toEqual(expected);
      for (const t of full.seen) expect(typeof t.amount).toBe('string');
      const small = await walk(3, 5);
      expect(small.seen.map((t) => t.id)).toEqual(expected.slice(0, 15));
      const all = { transactions: full.seen as unknown as { id: string; date: string; status: string }[] };

      const booked = (
        await api.call('GET', `/v1/accounts/${accountId}/transactions?status=booked&limit=500`, key)
      ).json().transactions;
      expect(booked.every((t: { status: string }) => t.status === 'booked')).toBe(true);
      const middle = all.transactions[Math.floor(all.transactions.length / 2)].date;
      const ranged = (
        await api.call('GET', `/v1/accounts/${accountId}/transactions?from=${middle}&to=${middle}&limit=500`, key)
      ).json().transactions;
      expect(ranged.length).toBeGreaterThan(0);
      expect(ranged.every((t: { date: string }) => t.date === middle)).toBe(true);
      expectProblem(await api.call('GET', `/v1/accounts/${accountId}/transactions?cursor=not-a-cursor`, key), 422);
      // Any position of the cursor's form is a place in the order: one before every row is an empty page.
      const beforeAll = await api.call('GET', `/v1/accounts/${accountId}/transactions?cursor=0000-00-00~0`, key);
      expect(beforeAll.statusCode).toBe(200);
      expect(beforeAll.json()).toEqual({ transactions: [] });
      expect(
        expectProblem(await api.call('GET', `/v1/accounts/${accountId}/transactions?limit=501`, key), 422).errors![0]
          .field,
      ).toBe('limit');
      expectProblem(await api.call('GET', `/v1/accounts/${accountId}/transactions?limit=abc`, key), 400);
      expectProblem(await api.call('GET', `/v1/accounts/${accountId}/transactions?status=settled`, key), 422);
      // from after to is an empty range: an empty page, not an error.
      const empty = await api.call('GET', `/v1/accounts/${accountId}/transactions?from=${middle}&to=1121-03-24`, key);
      expect(empty.statusCode).toBe(200);
      expect(empty.json()).toEqual({ transactions: [] });

      // Another customer's key sees nothing of it: 404, never 403.
      const stranger = await api.key({ customers: ['someone-else'] });
      expectProblem(await api.call('GET', `/v1/connections/${id}`, stranger), 404);
      expectProblem(await api.call('GET', `/v1/connections/${id}/accounts`, stranger), 404);
      expectProblem(await api.call('POST', `/v1/connections/${id}/sync`, stranger, {}), 404);
      expectProblem(await api.call('DELETE', `/v1/connections/${id}`, stranger), 404);
      expectProblem(await api.call('GET', `/v1/accounts/${accountId}`, stranger), 404);
      expectProblem(await api.call('GET', `/v1/accounts/${accountId}/transactions`, stranger), 404);
      expectProblem(await api.call('GET', `/v1/connections/con_does_not_exist`, key), 404);

      // Re-authorising an IPv6 PSU at an IPv4-only bank goes ahead, saying the address was not sent.
      const reauth = await api.call('POST', `/v1/connections/${id}/reauthorise`, key, undefined, {
        'x-psu-ip-address': '::6e',
      });
      expect(reauth.statusCode, reauth.body).toBe(200);
      expect(reauth.json()).toMatchObject({
        id,
        authorisationUrl: expect.stringMatching(/^https:/),
        validUntil: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        notices: [{ field: 'X-PSU-IP-Address', message: expect.stringMatching(/::6e is not sent/) }],
      });
      expect(reauth.json().authorisationUrl).not.toBe(authorisationUrl);
      expect((await api.psuThroughApi(reauth.json().authorisationUrl, 'approve')).statusCode).toBe(302);
      await until('active again', async () => {
        const view = (await api.call('GET', `/v1/connections/${id}`, key)).json();
        return view.status === 'active' ? view : undefined;
      });
      const afterReauth = await until('accounts after re-authorisation', async () => {
        const list = (await api.call('GET', `/v1/connections/${id}/accounts`, key)).json().accounts;
        return list.length === accounts.length ? list : undefined;
      });
      expect(afterReauth.map((a: { id: string }) => a.id).sort()).toEqual(
        accounts.map((a: { id: string }) => a.id).sort(),
      );

      const deleted = await api.call('DELETE', `/v1/connections/${id}`, key);
      expect(deleted.statusCode).toBe(200);
      expect(deleted.json()).toEqual({ id, status: 'revoked' });
      // Deleted: gone from the API (the row stays, revoked, for audit and webhooks).
      expectProblem(await api.call('GET', `/v1/connections/${id}`, key), 404);
      expectProblem(await api.call('POST', `/v1/connections/${id}/sync`, key, {}), 404);
      expectProblem(await api.call('POST', `/v1/connections/${id}/reauthorise`, key), 404);
      expectProblem(await api.call('GET', `/v1/connections/${id}/accounts`, key), 404);
      expectProblem(await api.call('GET', `/v1/accounts/${accountId}`, key), 404);
      expectProblem(await api.call('GET', `/v1/accounts/${accountId}/transactions`, key), 404);
      expectProblem(await api.call('DELETE', `/v1/connections/${id}`, key), 404);
      expect((await api.call('GET', '/v1/connections', key)).json()).toEqual({ connections: [] });
      const row = await until('revoked in the table', async () => {
        const [stored] = await api.stack.db.select('connections', { id });
        return stored.status === 'revoked' ? stored : undefined;
      });
      expect(row.deletedAt).toEqual(expect.any(Number));
    });

    it('a connection the PSU revoked at the bank stays readable as revoked until the product deletes it', async () => {
      const customer = 'psu-revoker';
      const key = await api.key({ customers: [customer] });
      const created = (await api.call('POST', '/v1/connections', key, createBody(customer))).json();
      expect((await api.psuThroughApi(created.authorisationUrl, 'approve')).statusCode).toBe(302);
      await until('active', async () => {
        const view = (await api.call('GET', `/v1/connections/${created.id}`, key)).json();
        return view.status === 'active' && view.lastSyncAt ? view : undefined;
      });
      const [consent] = await api.stack.db.select('consents', { connectionId: created.id });
      api.stack.sandbox.banks.bec.state.revokeConsent(consent.bankConsentId, 'psu');
      await api.call('POST', `/v1/connections/${created.id}/sync`, key, {});
      const revoked = await until('revoked', async () => {
        const view = await api.call('GET', `/v1/connections/${created.id}`, key);
        return view.statusCode === 200 && view.json().status === 'revoked'
          ? view.json<{ statusReason: string }>()
          : undefined;
      });
      expect(revoked.statusReason).toMatch(/PSU/);
      expect((await api.call('GET', '/v1/connections', key)).json().connections).toEqual([revoked]);
      expect(expectProblem(await api.call('POST', `/v1/connections/${created.id}/sync`, key, {}), 409).detail).toMatch(
        /revoked/,
      );
      // Deleting it asks nothing more of the bank, and then it is gone.
      const deletes = () => api.stack.sandbox.requestLog('bec').filter((e) => e.method === 'DELETE').length;
      const before = deletes();
      expect((await api.call('DELETE', `/v1/connections/${created.id}`, key)).statusCode).toBe(200);
      expect(deletes()).toBe(before);
      expectProblem(await api.call('GET', `/v1/connections/${created.id}`, key), 404);
    });

    it('a denied authorisation redirects with outcome=denied', async () => {
      const created = (await api.call('POST', '/v1/connections', admin, createBody('denier'))).json();
      const callback = await api.psuThroughApi(created.authorisationUrl, 'deny');
      expect(callback.statusCode).toBe(302);
      expect(new URL(String(callback.headers.location)).searchParams.get('outcome')).toBe('denied');
    });

    it('409 when syncing a connection that is not active yet', async () => {
      const created = (await api.call('POST', '/v1/connections', admin, createBody('not-yet'))).json();
      const res = await api.call('POST', `/v1/connections/${created.id}/sync`, admin);
      expectProblem(res, 409);
    });

    it('answers from the table when Temporal has no workflow, and 404 for updates to it', async () => {
      const id = 'con_without_workflow';
      const now = api.stack.deps.now!();
      await api.stack.db.insert('connections', [
        {
          id,
          customerId: 'orphan',
          aspspId: 'bec',
          status: 'active',
          redirectUrl: REDIRECT,
          frequencyPerDay: 4,
          createdAt: now,
          updatedAt: now,
        },
      ]);
      const view = await api.call('GET', `/v1/connections/${id}`, admin);
      expect(view.statusCode).toBe(200);
      expect(view.json()).toMatchObject({ id, status: 'active', validUntil: null, lastSyncAt: null });
      expectProblem(await api.call('POST', `/v1/connections/${id}/sync`, admin, {}), 404);
      expectProblem(await api.call('POST', `/v1/connections/${id}/reauthorise`, admin), 404);
    });

    it('list and detail answer from the same row; the detail shows no pending authorisationUrl', async () => {
      const created = (await api.call('POST', '/v1/connections', admin, createBody('pending-detail'))).json();
      const pending = await api.call('GET', `/v1/connections/${created.id}`, admin);
      expect(pending.json()).toMatchObject({ id: created.id, status: 'awaiting_authorisation' });
      expect(pending.json()).not.toHaveProperty('authorisationUrl');

      // A row as the workflow's status writes leave it (no workflow behind it: nothing else writes it).
      const id = 'con_same_row';
      const now = api.stack.deps.now!();
      await api.stack.db.insert('connections', [
        {
          id,
          customerId: 'same-row',
          aspspId: 'bec',
          status: 'reauth_required',
          statusReason: 'the bank refused the token refresh',
          lastError: 'Xs2a.token_invalid',
          lastSyncAt: now - 60_000,
          nextSyncAt: now + 60_000,
          redirectUrl: REDIRECT,
          frequencyPerDay: 4,
          createdAt: now,
          updatedAt: now,
        },
      ]);
      const detail = await api.call('GET', `/v1/connections/${id}`, admin);
      expect(detail.json()).toEqual({
        id,
        customerId: 'same-row',
        aspspId: 'bec',
        status: 'reauth_required',
        statusReason: 'the bank refused the token refresh',
        validUntil: null,
        lastSyncAt: new Date(now - 60_000).toISOString(),
        nextSyncAt: new Date(now + 60_000).toISOString(),
        lastError: 'Xs2a.token_invalid',
        createdAt: new Date(now).toISOString(),
      });
      const list = (await api.call('GET', '/v1/connections?customerId=same-row', admin)).json().connections;
      expect(list).toEqual([detail.json()]);
    });

    it('GET /v1/connections without customerId lists every customer of the key, never another key’s', async () => {
      const mine = ['multi-a', 'multi-b'];
      const ids: Record<string, string> = {};
      for (const customer of [...mine, 'multi-other']) {
        ids[customer] = (await api.call('POST', '/v1/connections', admin, createBody(customer))).json().id;
      }
      const key = await api.key({ customers: mine });
      const listed = (await api.call('GET', '/v1/connections', key)).json().connections as { id: string }[];
      expect(listed.map((c) => c.id).sort()).toEqual([ids['multi-a'], ids['multi-b']].sort());
      const narrowed = (await api.call('GET', '/v1/connections?customerId=multi-b', key)).json().connections;
      expect(narrowed.map((c: { id: string }) => c.id)).toEqual([ids['multi-b']]);
      expectProblem(await api.call('GET', '/v1/connections?customerId=multi-other', key), 403);
      expectProblem(
        await api.call('GET', '/v1/connections?customerId=bob', await api.key({ customers: ['alice'] })),
        403,
      );
      // A key without customers acts for every customer: it lists them all.
      const all = (await api.call('GET', '/v1/connections', admin)).json().connections.map((c: { id: string }) => c.id);
      expect(all).toEqual(expect.arrayContaining(Object.values(ids)));
    });
  });

  describe('GET /callback', () => {
    it('answers an unknown or missing state with an HTML page and 400, no stack trace', async () => {
      for (const url of ['/callback?state=forged-state&code=abc', '/callback', '/callback?state=']) {
        const res = await api.app.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(400);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.body).toContain('<h1>');
        expect(res.body).not.toMatch(/at .*\.ts:\d+|Error:/);
        expect(res.body).not.toContain('forged-state');
      }
    });

    it('never logs the callback query, nor Authorization headers', async () => {
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      });
      const app = buildApp({
        ...api.stack.deps,
        logger: createLogger({ level: 'debug' }, sink),
        metrics: new AppMetrics(),
      });
      await app.inject({ method: 'GET', url: '/callback?state=STATE-SECRET-1&code=CODE-SECRET-2' });
      await app.inject({
        method: 'GET',
        url: '/v1/aspsps',
        headers: { authorization: `Bearer ${admin}`, cookie: 'sid=COOKIE-SECRET-3' },
      });
      await app.close();
      const log = lines.join('');
      expect(log).toContain('/callback');
      expect(log).toContain('/v1/aspsps');
      for (const secret of ['STATE-SECRET-1', 'CODE-SECRET-2', 'COOKIE-SECRET-3', admin])
        expect(log).not.toContain(secret);
    });
  });

  describe('bank configuration from the environment (banks/from-env.ts)', () => {
    it('loads presets and certificates, and names what is missing', () => {
      const dir = mkdtempSync(join(tmpdir(), 'ob-bankcfg-'));
      try {
        const paths = writeCertificateSet(api.stack.tpp, dir);
        writeFileSync(join(dir, 'ca-bundle.pem'), api.stack.sandbox.serverCaPem);
        writeFileSync(
          join(dir, 'banks.yaml'),
          [
            'banks:',
            '  - { preset: bec, bankId: "0400", environment: sandbox, baseUrl: "https://127.0.0.1:1/psd2/0400" }',
            '  - { preset: enfuce, issuer: rocker, environment: production, clientId: PSDDK-X }',
            '',
          ].join('\n'),
        );
        const env = {
          BANK_PROFILES_FILE: join(dir, 'banks.yaml'),
          QWAC_CERT_PATH: paths.qwac.certificate,
          QWAC_KEY_PATH: paths.qwac.privateKey,
          QSEAL_CERT_PATH: paths.qseal.certificate,
          QSEAL_KEY_PATH: paths.qseal.privateKey,
          BANK_CA_PATH: join(dir, 'ca-bundle.pem'),
        };
        const setups = bankSetupsFromEnv(env);
        // Each BEC member bank is its own ASPSP: bec-<bankId> unless the entry names its id.
        expect(setups.map((s) => s.profile.id)).toEqual(['bec-0400', 'enfuce-rocker']);
        expect(setups[0].profile.baseUrl).toBe('https://127.0.0.1:1/psd2/0400');
        expect(setups[0].credentials.qwac.certificatePem).toBe(api.stack.tpp.qwac.certificatePem);
        expect(() => bankSetupsFromEnv({ ...env, QSEAL_KEY_PATH: '' })).toThrow(/QSEAL_KEY_PATH/);
        writeFileSync(join(dir, 'bad.yaml'), 'banks:\n  - { preset: bec, environment: sandbox }\n');
        expect(() => bankSetupsFromEnv({ ...env, BANK_PROFILES_FILE: join(dir, 'bad.yaml') })).toThrow(/bankId/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('health, readiness, OpenAPI, metrics', () => {
    it('healthz and readyz answer without a key', async () => {
      expect((await api.call('GET', '/healthz', undefined)).json()).toEqual({ status: 'ok' });
      const ready = await api.call('GET', '/readyz', undefined);
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready' });
    });

    it('readyz is 503 naming what failed', async () => {
      const failing = buildApp({
        ...api.stack.deps,
        logger: createLogger({ level: 'silent' }),
        metrics: new AppMetrics(),
        readiness: async () => {
          throw new NotReadyError({ temporal: 'no answer within 2000 ms' });
        },
      });
      const res = await failing.inject({ method: 'GET', url: '/readyz' });
      await failing.close();
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not_ready', failed: { temporal: 'unavailable' } });
    });

    it('serves a valid OpenAPI 3 document listing every route, and the docs UI', async () => {
      const res = await api.call('GET', '/openapi.json', undefined);
      expect(res.statusCode).toBe(200);
      const doc = res.json();
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths).sort()).toEqual(
        [
          '/callback',
          '/healthz',
          '/metrics',
          '/readyz',
          '/v1/accounts/{id}',
          '/v1/accounts/{id}/balances',
          '/v1/accounts/{id}/transactions',
          '/v1/aspsps',
          '/v1/connections',
          '/v1/connections/{id}',
          '/v1/connections/{id}/accounts',
          '/v1/connections/{id}/reauthorise',
          '/v1/connections/{id}/sync',
          '/v1/funds-confirmations',
          '/v1/payments',
          '/v1/payments/{id}',
          '/v1/webhook-endpoints',
          '/v1/webhook-endpoints/{id}',
          '/v1/webhook-endpoints/{id}/deliveries',
          '/v1/webhook-endpoints/{id}/deliveries/{deliveryId}/redeliver',
          '/v1/webhook-endpoints/{id}/rotate-secret',
        ].sort(),
      );
      expect(Object.keys(doc.paths['/v1/connections/{id}']).sort()).toEqual(['delete', 'get']);
      expect(doc.paths['/v1/connections'].post.requestBody.content['application/json'].schema).toBeDefined();
      const backend = new OpenAPIBackend({ definition: doc, strict: true, quick: false });
      await backend.init(); // throws on an invalid document in strict mode
      expect((await api.call('GET', '/docs', undefined)).statusCode).toBeLessThan(400);
    });

    it('exposes Prometheus counters, including those the API records', async () => {
      await api.call('GET', '/v1/aspsps', admin);
      const res = await api.call('GET', '/metrics', undefined);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.body).toContain('# TYPE http_requests_total counter');
      expect(res.body).toMatch(/http_requests_total\{method="GET",route="\/v1\/aspsps",status="200"\} \d+/);
      expect(res.body).toMatch(
        /http_requests_total\{method="GET",route="\/v1\/accounts\/:id\/transactions",status="200"\} \d+/,
      );
      expect(res.body).toMatch(
        /http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/v1\/aspsps"\} \d+/,
      );
      for (const name of ['syncs_total', 'bank_calls_total', 'bank_errors_total'])
        expect(res.body).toContain(`# TYPE ${name} counter`);
    });
  });
});
