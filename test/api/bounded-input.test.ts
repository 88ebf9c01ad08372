import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { connections } from '../../db/schema';
import { requestHash } from '../../api/idempotency';
import { jsonLimitExceeded } from '../../api/validation';
import { startApi, type ApiHarness } from './helpers';

/** Issue 13, defect 2: free-form objects are bounded, and `access` is a Berlin Group AccountAccess. */

let api: ApiHarness;
let admin: string;

beforeAll(async () => {
  api = await startApi();
  admin = await api.key();
});
afterAll(async () => api?.stop());

const deep = (levels: number, leaf = '1') => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);

function body(customerId: string, accessJson: string): string {
  return `{"aspspId":"bec","customerId":"${customerId}","redirectUrl":"https://product.example/done","access":${accessJson}}`;
}

function expect422(
  res: { statusCode: number; headers: Record<string, unknown>; body: string; json(): any },
  field: string,
) {
  expect(res.statusCode, res.body).toBe(422);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const problem = res.json() as { errors: { field: string; message: string }[] };
  expect(problem.errors.map((e) => e.field)).toContain(field);
  return problem;
}

const rowsOf = (customerId: string) =>
  api.stack.database.db.select().from(connections).where(eq(connections.customerId, customerId)).all();

describe('nesting depth and size', () => {
  for (const levels of [40, 1_000, 5_000, 20_000]) {
    it(`an access object ${levels} levels deep is a 422 naming access, with or without Idempotency-Key`, async () => {
      const customer = `c-deep-${levels}`;
      for (const headers of [{}, { 'idempotency-key': `deep-${levels}` }] as Record<string, string>[]) {
        const res = await api.call('POST', '/v1/connections', admin, body(customer, deep(levels)), {
          'content-type': 'application/json',
          ...headers,
        });
        const problem = expect422(res, 'access');
        expect(problem.errors.find((e) => e.field === 'access')!.message).toMatch(/nested more than \d+ levels/);
      }
      expect(rowsOf(customer)).toHaveLength(0);
    });
  }

  it('a body that is deep anywhere (not only access) is a 422 naming the field', async () => {
    const res = await api.call(
      'POST',
      '/v1/connections',
      admin,
      `{"aspspId":"bec","customerId":"c-x","redirectUrl":"https://p.example/","extra":${deep(10_000)}}`,
      { 'content-type': 'application/json' },
    );
    expect422(res, 'extra');
  });

  it('the depth walk and the idempotency hash never overflow the stack', () => {
    let value: unknown = 1;
    for (let i = 0; i < 200_000; i++) value = { a: value };
    expect(jsonLimitExceeded(value)?.path).toEqual(['a']);
    expect(() => requestHash(value)).toThrow(/nested more than/);
    const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    expect(jsonLimitExceeded({ access: wide })?.message).toMatch(/more than 200 members/);
  });
});

describe('over-long ids', () => {
  it('an id of 101 to 1,000 characters is a 422 naming id; longer is a 414; both problem+json', async () => {
    for (const url of [`/v1/connections/${'x'.repeat(150)}`, `/v1/accounts/${'y'.repeat(1000)}/transactions`]) {
      expect422(await api.call('GET', url, admin), 'id');
    }
    const tooLong = await api.call('GET', `/v1/connections/${'x'.repeat(1001)}`, admin);
    expect(tooLong.statusCode).toBe(414);
    expect(String(tooLong.headers['content-type'])).toMatch(/^application\/problem\+json/);
  });
});

describe('access is a Berlin Group 1.3.12 AccountAccess', () => {
  const refused: [string, string][] = [
    ['empty object', '{}'],
    ['accounts not a list', '{"accounts":"x"}'],
    ['unknown member', '{"accounts":[],"everything":true}'],
    ['reference without an identifier', '{"accounts":[{"currency":"DKK"}]}'],
    ['allPsd2 outside the enum', '{"allPsd2":"yes"}'],
    ['empty and named lists mixed', '{"accounts":[],"balances":[{"iban":"DK5000400440116243"}]}'],
    [
      'a list of a thousand references',
      `{"accounts":[${Array(1000).fill('{"iban":"DK5000400440116243"}').join(',')}]}`,
    ],
  ];
  for (const [what, access] of refused) {
    it(`${what} → 422 at our API, nothing stored or sent`, async () => {
      const customer = `c-access-${what.replace(/\W+/g, '-')}`;
      const before = api.stack.sandbox.requestLog('bec').length;
      const res = await api.call('POST', '/v1/connections', admin, body(customer, access), {
        'content-type': 'application/json',
      });
      const problem = expect422(res, res.json().errors?.[0]?.field ?? 'access');
      expect(problem.errors.every((e) => e.field === 'access' || e.field.startsWith('access.'))).toBe(true);
      expect(rowsOf(customer)).toHaveLength(0);
      expect(api.stack.sandbox.requestLog('bec').length).toBe(before);
    });
  }

  it('an IBAN with wrong check digits names no account: 404 naming the reference, nothing stored or sent', async () => {
    const customer = 'c-access-no-such-account';
    const before = api.stack.sandbox.requestLog('bec').length;
    const res = await api.call(
      'POST',
      '/v1/connections',
      admin,
      body(customer, '{"accounts":[{"iban":"DK5000400440116243"},{"iban":"DK0000400440116243"}]}'),
      { 'content-type': 'application/json' },
    );
    expect(res.statusCode).toBe(404);
    expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(res.json().errors).toEqual([
      { field: 'access.accounts.1.iban', message: expect.stringMatching(/check digits/) },
    ]);
    expect(rowsOf(customer)).toHaveLength(0);
    expect(api.stack.sandbox.requestLog('bec').length).toBe(before);
  });

  it('references this bank’s accounts cannot have → 422 naming the reference (a card issuer has no IBANs)', async () => {
    for (const [aspspId, access, field] of [
      ['enfuce-rocker', '{"accounts":[{"iban":"DK5000400440116243"}]}', 'access.accounts.0.iban'],
      ['bec', '{"transactions":[{"maskedPan":"524378******8693"}]}', 'access.transactions.0.maskedPan'],
    ] as const) {
      const customer = `c-kind-${aspspId}`;
      const res = await api.call(
        'POST',
        '/v1/connections',
        admin,
        body(customer, access).replace('"aspspId":"bec"', `"aspspId":"${aspspId}"`),
        { 'content-type': 'application/json' },
      );
      expect422(res, field);
      expect(rowsOf(customer)).toHaveLength(0);
    }
  });

  it('a member named __proto__ is dropped like any member the API does not read, not a 400', async () => {
    const res = await api.call(
      'POST',
      '/v1/connections',
      admin,
      body('c-proto', '{"__proto__":{"x":1},"allPsd2":"allAccounts"}').replace('{', '{"__proto__":null,'),
      { 'content-type': 'application/json' },
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(rowsOf('c-proto')).toHaveLength(1);
  });

  it('valid AccountAccess objects are accepted and reach the bank', async () => {
    for (const [i, access] of [
      '{"accounts":[],"balances":[],"transactions":[]}',
      '{"allPsd2":"allAccounts"}',
      '{"accounts":[{"iban":"DK5000400440116243"}],"transactions":[{"iban":"DK5000400440116243","currency":"DKK"}]}',
    ].entries()) {
      const res = await api.call('POST', '/v1/connections', admin, body(`c-access-ok-${i}`, access), {
        'content-type': 'application/json',
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().authorisationUrl).toMatch(/^https:/);
    }
  });
});
