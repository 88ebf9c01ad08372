import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ibanFromBban } from '../../sandbox/data/iban';
import type { PaymentStatus } from '../../workflows/payment/contract';
import { describeEachBackend } from '../helpers/backends';
import { callbackQuery, psuDecides } from '../helpers/psu';
import { startApi, type ApiHarness } from './helpers';

/**
 * Payments and funds confirmations end to end: the API, the payment workflow on the run's Temporal
 * server, the activities over mTLS to the sandbox BEC, the PSU at the bank's page and back through
 * our GET /callback. Status reads run every ~100 ms (FAST_PAYMENT_TIMING); the bank's settlement
 * runs on the sandbox clock, which the tests advance instead of waiting.
 */

const METTE = 'DK8004004012345678'; // bec-psu-1, DKK
const LARS = 'DK1961406140009127'; // bec-psu-2, DKK, less than 10,000 available
const CREDITOR = ibanFromBban('DK', '30003330000001');
const REDIRECT = 'https://shop.example/paid';
const HOUR = 3_600_000;

type Json = Record<string, any>;

function paymentBody(extra: Record<string, unknown> = {}) {
  return {
    aspspId: 'bec',
    customerId: 'cust-pay',
    product: 'sepa-credit-transfers',
    debtorAccount: { iban: METTE },
    creditorAccount: { iban: CREDITOR },
    creditorName: 'Vognmand Jensen ApS',
    instructedAmount: { currency: 'DKK', amount: '12.50' },
    remittanceInformationUnstructured: 'Invoice 4711',
    redirectUrl: REDIRECT,
    psuIpAddress: '192.0.2.44',
    ...extra,
  };
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  return res.json() as { detail?: string; errors?: { field: string; message: string }[] };
}

async function create(api: ApiHarness, key: string, extra: Record<string, unknown> = {}, headers = {}) {
  const res = await api.call('POST', '/v1/payments', key, paymentBody(extra), headers);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string; status: string; authorisationUrl: string }>();
}

async function waitForPayment(
  api: ApiHarness,
  key: string,
  id: string,
  status: PaymentStatus,
  timeoutMs = 20_000,
): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  let last: Json | undefined;
  while (Date.now() < deadline) {
    last = (await api.call('GET', `/v1/payments/${id}`, key)).json();
    if (last?.status === status) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`payment ${id} is ${last?.status} (${last?.statusReason} / ${last?.lastError}), not ${status}`);
}

const initiations = (api: ApiHarness) =>
  api.stack.sandbox.requestLog('bec').filter((e) => e.method === 'POST' && /\/v1\/payments\/[a-z-]+$/.test(e.path));

function bankPayment(api: ApiHarness, url: string) {
  const bankId = /\/psu\/payments\/([^/?]+)/.exec(url)![1];
  return api.stack.sandbox.banks.bec.state.getPayment(bankId)!;
}

describeEachBackend('payments (BEC sandbox)', (backend) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ backend });
  });
  afterAll(async () => api?.stop());

  describe('end to end', () => {
    let key: string;
    beforeAll(async () => {
      key = await api.key({ scopes: ['payments:read', 'payments:write'] });
    });

    it('a SEPA credit transfer: RCVD → PSU approves (ACTC) → ACSC, completed, with the history', async () => {
      const created = await create(api, key);
      expect(created).toMatchObject({ status: 'awaiting_authorisation', id: expect.stringMatching(/^pay_/) });
      expect(created.authorisationUrl).toContain('/psu/payments/');

      const initiation = initiations(api).at(-1)!;
      expect(initiation.headers['psu-ip-address']).toBe('192.0.2.44');
      expect(String(initiation.headers['tpp-redirect-uri'])).toMatch(/\/callback\?state=/);
      expect(String(initiation.headers['tpp-nok-redirect-uri'])).toMatch(/error=access_denied/);
      expect(JSON.parse(initiation.body!)).toEqual({
        debtorAccount: { iban: METTE },
        instructedAmount: { currency: 'DKK', amount: '12.50' },
        creditorAccount: { iban: CREDITOR },
        creditorName: 'Vognmand Jensen ApS',
        remittanceInformationUnstructured: 'Invoice 4711',
      });
      expect(initiation.verification?.ok ?? true).toBe(true);

      const back = await api.psuThroughApi(created.authorisationUrl, 'approve', 'bec-psu-1');
      expect(back.statusCode).toBe(302);
      expect(back.headers.location).toBe(`${REDIRECT}?paymentId=${created.id}&outcome=approved`);

      const done = await waitForPayment(api, key, created.id, 'completed');
      expect(done).toMatchObject({
        id: created.id,
        customerId: 'cust-pay',
        aspspId: 'bec',
        product: 'sepa-credit-transfers',
        bankStatus: 'ACSC',
        instructedAmount: { currency: 'DKK', amount: '12.50' },
        creditorName: 'Vognmand Jensen ApS',
        lastError: null,
      });
      const history = (done.statusHistory as Json[]).map((h) => `${h.status}/${h.bankStatus}`);
      expect(history[0]).toBe('awaiting_authorisation/null');
      expect(history).toContain('awaiting_authorisation/RCVD');
      expect(history.at(-1)).toBe('completed/ACSC');
      expect(done).not.toHaveProperty('authorisationUrl');
      expect(JSON.stringify(done)).not.toContain(METTE);

      // Each change of status is one payment.status_changed event in the webhook outbox, none twice.
      const events = (await api.stack.deps.repositories.webhooks.eventsOf(created.id))
        .filter((e) => e.type === 'payment.status_changed')
        .map((e) => JSON.parse(e.payload) as { data: { previousStatus: string; status: string; bankStatus: string } });
      const changes = events.map((e) => `${e.data.previousStatus}->${e.data.status}`);
      expect(new Set(changes).size).toBe(changes.length);
      expect(changes.at(-1)).toMatch(/->completed$/);
      expect(events.at(-1)!.data.bankStatus).toBe('ACSC');
    });

    it('an instant SEPA payment is completed right after approval; a reload of the callback still lands', async () => {
      const created = await create(api, key, { product: 'instant-sepa-credit-transfers' });
      const { location } = await psuDecides(
        created.authorisationUrl,
        api.stack.sandbox.serverCaPem,
        'approve',
        'bec-psu-1',
      );
      const callback = `/callback?${new URLSearchParams(callbackQuery(location)).toString()}`;
      expect((await api.app.inject({ method: 'GET', url: callback })).statusCode).toBe(302);
      const done = await waitForPayment(api, key, created.id, 'completed');
      expect(done.bankStatus).toBe('ACSC');
      // The workflow has ended: the PSU reloading the page still goes to the product.
      const reload = await api.app.inject({ method: 'GET', url: callback });
      expect(reload.statusCode).toBe(302);
      expect(reload.headers.location).toBe(`${REDIRECT}?paymentId=${created.id}&outcome=approved`);
    });

    it('a cross-border payment is pending (ACSP) until the bank settles it hours later', async () => {
      const created = await create(api, key, {
        product: 'cross-border-credit-transfers',
        creditorAccount: { iban: 'DE89370400440532013000' },
      });
      await api.psuThroughApi(created.authorisationUrl, 'approve', 'bec-psu-1');
      const pending = await waitForPayment(api, key, created.id, 'pending');
      expect(pending.bankStatus).toBe('ACSP');
      api.stack.sandbox.clock.advance(2 * HOUR + 1_000);
      const done = await waitForPayment(api, key, created.id, 'completed');
      expect(done.bankStatus).toBe('ACSC');
    });

    it('insufficient funds: 10,000 DKK from bec-psu-2 is rejected with RJCT', async () => {
      const created = await create(api, key, {
        debtorAccount: { iban: LARS },
        creditorAccount: { iban: METTE },
        instructedAmount: { currency: 'DKK', amount: '10000.00' },
      });
      await api.psuThroughApi(created.authorisationUrl, 'approve', 'bec-psu-2');
      const done = await waitForPayment(api, key, created.id, 'rejected');
      expect(done.bankStatus).toBe('RJCT');
    });

    it('the PSU denies: rejected, and the PSU lands on the product with outcome=denied', async () => {
      const created = await create(api, key);
      const back = await api.psuThroughApi(created.authorisationUrl, 'deny', 'bec-psu-1');
      expect(back.headers.location).toBe(`${REDIRECT}?paymentId=${created.id}&outcome=denied`);
      const done = await waitForPayment(api, key, created.id, 'rejected');
      expect(done.bankStatus).toBe('RJCT');
      expect(done.statusReason).toMatch(/access_denied/);
    });

    it('the bank answers 503 while the payment is being followed: it still reaches completed', async () => {
      const created = await create(api, key, {
        product: 'cross-border-credit-transfers',
        creditorAccount: { iban: 'DE89370400440532013000' },
      });
      await api.psuThroughApi(created.authorisationUrl, 'approve', 'bec-psu-1');
      await waitForPayment(api, key, created.id, 'pending');
      const seq = api.stack.sandbox.requestLog('bec').at(-1)!.seq;
      api.stack.sandbox.setFaults('bec', { errorRate: 1, errorStatus: 503 });
      try {
        const failedReads = () =>
          api.stack.sandbox
            .requestLog('bec')
            .filter((e) => e.seq > seq && e.path.endsWith('/status') && e.status === 503).length;
        const deadline = Date.now() + 20_000;
        while (failedReads() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(failedReads()).toBeGreaterThanOrEqual(3);
        api.stack.sandbox.clock.advance(2 * HOUR + 1_000);
      } finally {
        api.stack.sandbox.setFaults('bec', { errorRate: 0 });
      }
      const done = await waitForPayment(api, key, created.id, 'completed', 40_000);
      expect(done.bankStatus).toBe('ACSC');
    }, 60_000);

    it('an Idempotency-Key maps to one payment: the same answer, one initiation at the bank', async () => {
      const before = initiations(api).length;
      const headers = { 'idempotency-key': 'order-77' };
      const first = await api.call('POST', '/v1/payments', key, paymentBody(), headers);
      const second = await api.call('POST', '/v1/payments', key, paymentBody(), headers);
      expect(first.statusCode).toBe(201);
      expect(second.statusCode).toBe(201);
      expect(second.headers['idempotency-replayed']).toBe('true');
      expect(second.json()).toEqual(first.json());
      expect(initiations(api).length).toBe(before + 1);
      const other = await api.call('POST', '/v1/payments', key, paymentBody({ creditorName: 'Other' }), headers);
      expect(expectProblem(other, 409).errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    });

    it('DELETE cancels before the PSU approves (CANC at the bank); after approval it is a 409 with the reason', async () => {
      const open = await create(api, key);
      const cancelled = await api.call('DELETE', `/v1/payments/${open.id}`, key);
      expect(cancelled.statusCode, cancelled.body).toBe(200);
      expect(cancelled.json()).toEqual({ id: open.id, status: 'cancelled', bankStatus: 'CANC' });
      expect(bankPayment(api, open.authorisationUrl).status).toBe('CANC');
      expect((await api.call('GET', `/v1/payments/${open.id}`, key)).json()).toMatchObject({
        status: 'cancelled',
        bankStatus: 'CANC',
      });

      const approved = await create(api, key, { product: 'cross-border-credit-transfers' });
      await api.psuThroughApi(approved.authorisationUrl, 'approve', 'bec-psu-1');
      await waitForPayment(api, key, approved.id, 'pending');
      const refused = expectProblem(await api.call('DELETE', `/v1/payments/${approved.id}`, key), 409);
      expect(refused.detail).toMatch(/approved/);
    });

    it('what the bank cannot take is done as near as it allows, and the answer says so', async () => {
      const today = new Date(api.stack.deps.now!()).toISOString().slice(0, 10);
      const created = await create(api, key, { psuIpAddress: '2001:db8::44', requestedExecutionDate: '2020-01-02' });
      expect(created).toMatchObject({
        requestedExecutionDate: today,
        notices: [
          { field: 'requestedExecutionDate', message: expect.stringMatching(/2020-01-02 is past.*today/) },
          { field: 'psuIpAddress', message: expect.stringMatching(/IPv4.*2001:db8::44 is not sent.*0\.0\.0\.0/) },
        ],
      });
      const initiation = initiations(api).at(-1)!;
      expect(initiation.headers['psu-ip-address']).toBe('0.0.0.0');
      expect(JSON.parse(initiation.body!).requestedExecutionDate).toBe(today);
      const shown = (await api.call('GET', `/v1/payments/${created.id}`, key)).json();
      expect(shown.requestedExecutionDate).toBe(today);
      // An IPv4-mapped address goes as IPv4, without a notice.
      const mapped = await create(api, key, { psuIpAddress: '::ffff:192.0.2.45' });
      expect(mapped).not.toHaveProperty('notices');
      expect(initiations(api).at(-1)!.headers['psu-ip-address']).toBe('192.0.2.45');
    });

    it('lists every customer of the key without customerId, never another key’s', async () => {
      const twoCustomers = await api.key({
        customers: ['cust-pay', 'cust-pay-2'],
        scopes: ['payments:read', 'payments:write'],
      });
      const second = await create(api, twoCustomers, { customerId: 'cust-pay-2' });
      const other = await create(api, key, { customerId: 'cust-pay-other' });
      const listed = (await api.call('GET', '/v1/payments?limit=200', twoCustomers)).json().payments as Json[];
      expect(listed.map((p) => p.id)).toContain(second.id);
      expect(listed.map((p) => p.id)).not.toContain(other.id);
      expect(new Set(listed.map((p) => p.customerId))).toEqual(new Set(['cust-pay', 'cust-pay-2']));
      expectProblem(await api.call('GET', '/v1/payments?customerId=cust-pay-other', twoCustomers), 403);
      expectProblem(await api.call('GET', '/v1/payments?cursor=not-a-cursor', twoCustomers), 422);
    });

    it('lists a customer’s payments by status with a cursor', async () => {
      const page1 = await api.call('GET', '/v1/payments?customerId=cust-pay&limit=2', key);
      expect(page1.statusCode).toBe(200);
      const body1 = page1.json();
      expect(body1.payments).toHaveLength(2);
      const page2 = (
        await api.call('GET', `/v1/payments?customerId=cust-pay&limit=2&cursor=${body1.nextCursor}`, key)
      ).json();
      const ids = [...body1.payments, ...page2.payments].map((p: Json) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const completed = (await api.call('GET', '/v1/payments?customerId=cust-pay&status=completed', key)).json();
      expect(completed.payments.length).toBeGreaterThanOrEqual(3);
      expect(completed.payments.every((p: Json) => p.status === 'completed')).toBe(true);
    });

    it('refuses bad input naming the field, and a bank without PIS (Rocker, ST1) with 422', async () => {
      // An IBAN whose check digits fail names no account: 404, nothing sent.
      const before = initiations(api).length;
      const badIban = expectProblem(
        await api.call('POST', '/v1/payments', key, paymentBody({ creditorAccount: { iban: 'DK5000400440116244' } })),
        404,
      );
      expect(badIban.errors).toEqual([
        { field: 'creditorAccount.iban', message: expect.stringMatching(/check digits/) },
      ]);
      expect(initiations(api).length).toBe(before);
      for (const amount of ['0.00', '-5.00', '1.005', '12,50', '0012.50']) {
        const res = await api.call(
          'POST',
          '/v1/payments',
          key,
          paymentBody({ instructedAmount: { currency: 'DKK', amount } }),
        );
        expect(expectProblem(res, 422).errors?.[0]?.field).toBe('instructedAmount.amount');
      }
      const currency = expectProblem(
        await api.call(
          'POST',
          '/v1/payments',
          key,
          paymentBody({ instructedAmount: { currency: 'XYZ', amount: '1.00' } }),
        ),
        422,
      );
      expect(currency.errors?.[0]?.field).toBe('instructedAmount.currency');
      const jpyDecimals = expectProblem(
        await api.call(
          'POST',
          '/v1/payments',
          key,
          paymentBody({ instructedAmount: { currency: 'JPY', amount: '100.5' } }),
        ),
        422,
      );
      expect(jpyDecimals.errors?.[0]?.field).toBe('instructedAmount.amount');
      for (const aspspId of ['enfuce-rocker', 'enfuce-st1']) {
        const res = await api.call('POST', '/v1/payments', key, paymentBody({ aspspId }));
        const problem = expectProblem(res, 422);
        expect(problem.errors?.[0]?.field).toBe('aspspId');
        expect(problem.detail).toMatch(/payment initiation/);
      }
      expectProblem(await api.call('POST', '/v1/payments', key, paymentBody({ product: 'domestic-transfers' })), 422);
      expectProblem(
        await api.call('POST', '/v1/payments', await api.key({ scopes: ['payments:read'] }), paymentBody()),
        403,
      );
    });

    it('funds confirmation asks the bank every time: true for a small amount, false for too much', async () => {
      const ask = (amount: string) =>
        api.call('POST', '/v1/funds-confirmations', key, {
          aspspId: 'bec',
          customerId: 'cust-pay',
          account: { iban: LARS },
          instructedAmount: { currency: 'DKK', amount },
        });
      const before = api.stack.sandbox.requestLog('bec').filter((e) => e.path.endsWith('/funds-confirmations')).length;
      const yes = await ask('1.00');
      expect(yes.statusCode, yes.body).toBe(200);
      expect(yes.json()).toEqual({ fundsAvailable: true });
      expect(yes.headers['cache-control']).toBe('no-store');
      expect((await ask('1.00')).json()).toEqual({ fundsAvailable: true });
      expect((await ask('10000.00')).json()).toEqual({ fundsAvailable: false });
      const after = api.stack.sandbox.requestLog('bec').filter((e) => e.path.endsWith('/funds-confirmations')).length;
      expect(after - before).toBe(3);
      // An account the bank does not know is 404, as is one whose IBAN cannot exist.
      for (const iban of [CREDITOR, 'DK1961406140009128']) {
        const unknown = expectProblem(
          await api.call('POST', '/v1/funds-confirmations', key, {
            aspspId: 'bec',
            customerId: 'cust-pay',
            account: { iban },
            instructedAmount: { currency: 'DKK', amount: '1.00' },
          }),
          404,
        );
        expect(unknown.errors?.[0]?.field).toBe('account.iban');
      }
      const rocker = expectProblem(
        await api.call('POST', '/v1/funds-confirmations', key, {
          aspspId: 'enfuce-rocker',
          customerId: 'cust-pay',
          account: { iban: LARS },
          instructedAmount: { currency: 'DKK', amount: '1.00' },
        }),
        422,
      );
      expect(rocker.errors?.[0]?.field).toBe('aspspId');
    });
  });

  describe('a PSU who never comes back', () => {
    let key: string;
    beforeAll(async () => {
      // The worker reads its payment timing when a payment's workflow starts: a short wait for the PSU from here on.
      api.stack.activityDeps.paymentTiming = { ...api.stack.activityDeps.paymentTiming, authorisationTimeoutMs: 1_500 };
      key = await api.key();
    });

    it('the payment becomes authorisation_expired and is deleted at the bank (CANC)', async () => {
      const created = await create(api, key);
      const done = await waitForPayment(api, key, created.id, 'authorisation_expired');
      expect(done.bankStatus).toBe('CANC');
      expect(bankPayment(api, created.authorisationUrl).status).toBe('CANC');
      expect(
        api.stack.sandbox.requestLog('bec').some((e) => e.method === 'DELETE' && e.path.includes('/v1/payments/')),
      ).toBe(true);
      // The PSU's late return finds no such session.
      const late = await api.call('GET', `/callback?state=whatever`, undefined);
      expect(late.statusCode).toBe(404);
    });
  });
});
