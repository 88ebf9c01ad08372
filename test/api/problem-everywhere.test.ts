import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Ajv from 'ajv';
import { accountAccessSchema } from '../../api/access-schema';
import { buildApp } from '../../api/app';
import { testLogger } from '../helpers/logger';

/**
 * Issue 13, defect 6: errors fastify and node answer before any route runs are problem+json,
 * and the OpenAPI document declares what the API answers.
 */

let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  // Nothing here reaches a handler: routing, the HTTP parser and the document only.
  app = buildApp({
    repositories: {} as never,
    banks: {
      has: () => false,
      profiles: () => [
        { id: 'bec', services: ['ais', 'pis', 'piis'], paths: { accountKind: 'accounts' } },
        { id: 'enfuce-rocker', services: ['ais'], paths: { accountKind: 'card-accounts' } },
      ],
    } as never,
    logger: testLogger(),
  } as never);
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => app?.close());

function expectProblem(status: number, res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(res.body)).toMatchObject({ type: 'about:blank', status, title: expect.any(String) });
}

/** A raw request through node's HTTP parser (inject skips it). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ statusCode: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('errors outside the routes are problem+json', () => {
  it('an id over 1,000 characters → 414 (ids of 101 to 1,000 reach the route schema: 422)', async () => {
    expectProblem(414, await app.inject({ method: 'GET', url: `/v1/connections/${'x'.repeat(1001)}` }));
    expectProblem(414, await raw(`/v1/accounts/${'x'.repeat(5000)}/transactions`));
  });

  it('a path that is not valid percent-encoding → 400 (FST_ERR_BAD_URL)', async () => {
    expectProblem(400, await app.inject({ method: 'GET', url: '/v1/connections/%E0%A4%A' }));
    expectProblem(400, await raw('/v1/accounts/%zz'));
  });

  it('a known path with a method it does not answer → 405 with Allow', async () => {
    for (const method of ['PUT', 'PATCH', 'TRACE', 'QUERY']) {
      const res = await raw('/v1/connections/con_1', {}, method);
      expectProblem(405, res);
      expect(res.headers.allow).toBe('DELETE, GET, HEAD');
    }
    expectProblem(404, await raw('/v1/nothing-here', {}, 'PUT'));
  });

  it('headers over 16 KB → 431 from the HTTP server', async () => {
    const res = await raw('/v1/aspsps', { 'x-filler': 'a'.repeat(20_000) });
    expectProblem(431, res);
  });

  it('a PSU callback too long to read is the callback’s own 400 page (problem+json when JSON is asked for)', async () => {
    const long = `/callback?state=s&error_description=${'%F0%9F%98%80'.repeat(2_000)}`;
    const page = await raw(long);
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('This link is not valid');
    const json = await raw(long, { accept: 'application/json' });
    expectProblem(400, json);
  });

  it('a request node cannot parse → 400', async () => {
    const { connect } = await import('node:net');
    const port = (app.server.address() as AddressInfo).port;
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /v1/aspsps HTTP/1.1\r\nHost x\r\n\r\n'));
      let out = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (out += chunk));
      socket.on('close', () => resolve(out));
      socket.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toMatch(/content-type: application\/problem\+json/i);
  });
});

describe('the OpenAPI document says what the API answers', () => {
  type Op = { responses: Record<string, { content?: Record<string, unknown>; headers?: unknown }> };
  let doc: { paths: Record<string, Record<string, Op>>; components: { schemas: Record<string, any> } };
  beforeAll(async () => {
    doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });
  /** Whether the document's schema `name` admits a value (OpenAPI 3.0 keywords ajv does not know are ignored). */
  const validatorFor = (name: string) => {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ components: doc.components }, 'doc');
    const validate = ajv.compile({ $ref: `doc#/components/schemas/${name}` });
    return (value: unknown) => validate(value);
  };

  it('every error is application/problem+json (HTML too for the PSU’s /callback)', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400 || path === '/readyz') continue;
          const types = Object.keys(response.content ?? {});
          const expected =
            path === '/callback' ? ['text/html', 'application/problem+json'] : ['application/problem+json'];
          expect(types, `${method} ${path} ${status}`).toEqual(expected);
        }
      }
    }
  });

  it('/callback documents its redirect and pages: 400 unreadable, 404 no such session', () => {
    const responses = doc.paths['/callback'].get.responses;
    expect(Object.keys(responses).sort()).toEqual(['302', '400', '404', '500', '503']);
    expect(responses['200']).toBeUndefined();
    expect(responses['302'].headers).toHaveProperty('Location');
  });

  it('routes that call the bank or Temporal document 502 and 503; ids document 414', () => {
    for (const [path, method] of [
      ['/v1/connections', 'post'],
      ['/v1/connections/{id}/sync', 'post'],
      ['/v1/connections/{id}/reauthorise', 'post'],
      ['/v1/connections/{id}', 'delete'],
    ] as const) {
      expect(Object.keys(doc.paths[path][method].responses)).toEqual(expect.arrayContaining(['502', '503']));
    }
    expect(doc.paths['/v1/connections/{id}'].get.responses).toHaveProperty('414');
  });

  it('a 204 has no body', () => {
    const deleted = doc.paths['/v1/webhook-endpoints/{id}'].delete.responses['204'];
    expect(deleted).toBeDefined();
    expect(deleted.content).toBeUndefined();
  });

  it('payments and funds confirmations name only the banks offering them; amounts say their decimals per currency', () => {
    expect(doc.components.schemas.CreatePaymentInput.properties.aspspId.enum).toEqual(['bec']);
    expect(doc.components.schemas.FundsConfirmationRequestInput.properties.aspspId.enum).toEqual(['bec']);
    const admits = validatorFor('AmountInput');
    expect(admits({ currency: 'DKK', amount: '125.50' })).toBe(true);
    expect(admits({ currency: 'JPY', amount: '100' })).toBe(true);
    for (const amount of [
      { currency: 'JPY', amount: '100.5' },
      { currency: 'DKK', amount: '0.00' },
      { currency: 'DKK', amount: '012.50' },
      { currency: 'XYZ', amount: '1' },
    ]) {
      expect(admits(amount), JSON.stringify(amount)).toBe(false);
    }
  });

  it('the document admits exactly the AccountAccess objects the API takes, per the bank’s kind of account', () => {
    const admits = validatorFor('AccountAccessInput');
    const iban = { iban: 'DK5000400440116243' };
    const cases: unknown[] = [
      {},
      { accounts: [] },
      { accounts: [], balances: [], transactions: [] },
      { accounts: [iban], transactions: [iban] },
      { accounts: [], balances: [iban] },
      { accounts: [iban], allPsd2: 'allAccounts' },
      { allPsd2: 'allAccounts' },
      { allPsd2: 'allAccounts', availableAccounts: 'allAccounts' },
      { availableAccounts: 'allAccounts', restrictedTo: ['CACC'] },
      { accounts: [], restrictedTo: ['CACC'] },
      { accounts: [iban], restrictedTo: ['CACC'] },
      { additionalInformation: { ownerName: [] }, allPsd2: 'allAccounts' },
      { additionalInformation: { ownerName: [iban] }, accounts: [iban] },
      { accounts: [{ currency: 'DKK' }] },
      { accounts: [{ iban: iban.iban, maskedPan: '1234' }] },
    ];
    for (const access of cases) {
      expect(admits(access), JSON.stringify(access)).toBe(accountAccessSchema.safeParse(access).success);
    }
    const create = validatorFor('CreateConnectionInput');
    const body = (aspspId: string, access: unknown) => ({
      aspspId,
      customerId: 'c',
      redirectUrl: 'https://p.example/',
      access,
    });
    expect(create(body('bec', { accounts: [iban] }))).toBe(true);
    expect(create(body('bec', { accounts: [{ maskedPan: '524378******8693' }] }))).toBe(false);
    expect(create(body('enfuce-rocker', { accounts: [{ maskedPan: '524378******8693' }] }))).toBe(true);
    expect(create(body('enfuce-rocker', { accounts: [iban] }))).toBe(false);
  });

  it('webhook URLs: the pattern states the form the API takes', () => {
    const admits = validatorFor('CreateWebhookEndpointInput');
    for (const url of ['https://hooks.example.com/a?b=1', 'https://192.0.2.1:8443/x', 'http://localhost:3000/x']) {
      expect(admits({ url }), url).toBe(true);
    }
    for (const url of [
      '0',
      'http://hooks.example.com/a',
      'https://hooks.example.com/a#top',
      'https://u:p@hooks.example.com/',
    ]) {
      expect(admits({ url }), url).toBe(false);
    }
  });

  it('runtime rules are in the schema: redirectUrl absolute http(s), aspspId one of the banks, customerId rule', () => {
    const create = doc.components.schemas.CreateConnection;
    const pattern = new RegExp(create.properties.redirectUrl.pattern as string);
    expect(pattern.test('https://product.example/done?x=1')).toBe(true);
    expect(pattern.test('http://127.0.0.1:3000/cb')).toBe(true);
    expect(pattern.test('/relative')).toBe(false);
    expect(pattern.test('ftp://x.example/')).toBe(false);
    expect(create.properties.aspspId.enum).toEqual(['bec', 'enfuce-rocker']);
    const list = doc.paths['/v1/connections'].get as unknown as {
      parameters: { name: string; description?: string }[];
    };
    expect(list.parameters.find((p) => p.name === 'customerId')?.description).toMatch(
      /every customer the key is issued for/,
    );
  });
});
