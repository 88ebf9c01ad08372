/**
 * The API's read routes over each repository backend: the same seeded rows give the same answers
 * (auth by key hash, ownership, list order, balances, cursor pages) on SQLite and PostgreSQL.
 * Writes through the services still go to SQLite, so only reads are compared here.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import { hashApiKey } from '../../api/auth/api-keys';
import { createBankDirectory } from '../../banks/directory';
import { AppMetrics } from '../../metrics/registry';
import { TokenCipher } from '../../secrets/token-cipher';
import { testLogger } from '../helpers/logger';
import { backends, title, type Backend } from './backends';

const T0 = 1_760_000_000_000;
const KEY = `obk_${randomBytes(24).toString('base64url')}`;
const answers = new Map<string, unknown[]>();

for (const backend of backends()) {
  describe.skipIf(Boolean(backend.skip))(`API reads: ${title(backend)}`, () => {
    let b: Backend;
    let app: FastifyInstance;
    const got: unknown[] = [];
    const get = async (url: string, key = KEY) => {
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
      got.push({ url, status: res.statusCode, body: res.json() });
      return res;
    };

    beforeAll(async () => {
      b = await backend.open();
      await b.insert('apiKeys', [
        { id: 'key_1', name: 'reader', keyHash: hashApiKey(KEY), customerIds: ['cus_a'], scopes: null, createdAt: T0 },
      ]);
      await b.insert('connections', [
        { ...row('con_1', T0), customerId: 'cus_a' },
        { ...row('con_2', T0 + 1), customerId: 'cus_a' },
        { ...row('con_x', T0), customerId: 'cus_other' },
      ]);
      await b.insert('accounts', [
        {
          id: 'acc_1',
          connectionId: 'con_1',
          resourceId: 'r1',
          kind: 'account',
          iban: 'DK5000400440116243',
          currency: 'DKK',
          createdAt: T0,
          updatedAt: T0,
        },
      ]);
      await b.insert('balances', [
        { accountId: 'acc_1', balanceType: 'closingBooked', amount: '1.00', currency: 'DKK', fetchedAt: T0 },
      ]);
      await b.insert('transactions', [
        tx('tx_a', '2025-02-01'),
        tx('tx_B', '2025-02-01'),
        tx('tx_c', '2025-01-31'),
        tx('tx-d', '2025-01-30'),
      ]);
      app = buildApp({
        repositories: b.repositories,
        temporal: {} as Client,
        taskQueue: 'unused',
        banks: createBankDirectory([], testLogger()),
        cipher: new TokenCipher(new Map([['k1', randomBytes(32)]])),
        logger: testLogger(),
        metrics: new AppMetrics(),
        readiness: async () => {},
      });
      await app.ready();
    });
    afterAll(async () => {
      answers.set(backend.name, got);
      await app?.close();
      await b?.close();
    });

    it('authenticates by key hash and lists the customer’s connections newest first', async () => {
      const res = await get('/v1/connections');
      expect(res.statusCode).toBe(200);
      expect(res.json().connections.map((c: { id: string }) => c.id)).toEqual(['con_2', 'con_1']);
      expect((await get('/v1/connections', 'obk_wrong-key-wrong-key')).statusCode).toBe(401);
      // Another customer's connection is not found, not forbidden: its existence is not revealed.
      expect((await get('/v1/connections/con_x')).statusCode).toBe(404);
      expect((await get('/v1/connections/con_nope')).statusCode).toBe(404);
      expect((await get('/v1/connections/con_1')).json()).toMatchObject({ id: 'con_1', status: 'active' });
    });

    it('reads accounts, balances and cursor pages of transactions', async () => {
      expect((await get('/v1/connections/con_1/accounts')).statusCode).toBe(200);
      expect((await get('/v1/accounts/acc_1/balances')).json().balances).toHaveLength(1);
      const ids: string[] = [];
      let url = '/v1/accounts/acc_1/transactions?limit=1';
      for (;;) {
        const page = (await get(url)).json();
        ids.push(...page.transactions.map((t: { id: string }) => t.id));
        if (!page.nextCursor) break;
        url = `/v1/accounts/acc_1/transactions?limit=1&cursor=${page.nextCursor}`;
      }
      expect(ids).toEqual(['tx_a', 'tx_B', 'tx_c', 'tx-d']);
    });
  });
}

describe.skipIf(backends().some((c) => c.skip))('API reads: SQLite and PostgreSQL', () => {
  it('answered every request identically', () => {
    expect(answers.get('postgres')).toEqual(answers.get('sqlite'));
    expect(answers.get('sqlite')!.length).toBeGreaterThan(8);
  });
});

function row(id: string, createdAt: number) {
  return { id, aspspId: 'bec', status: 'active', redirectUrl: 'https://example.com/', createdAt, updatedAt: createdAt };
}

function tx(id: string, date: string) {
  return {
    id,
    accountId: 'acc_1',
    fingerprint: `fp-${id}`,
    bookingStatus: 'booked',
    bookingDate: date,
    date,
    amount: '-1.00',
    currency: 'DKK',
    firstSeenAt: T0,
    updatedAt: T0,
  };
}
