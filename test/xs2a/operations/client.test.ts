import { describe, expect, it } from 'vitest';
import { Xs2aError } from '../../../xs2a/errors';
import { Xs2aClient } from '../../../xs2a/operations/client';
import type { CreateConsentInput, TransactionPage } from '../../../xs2a/operations/types';
import type { BankProfile } from '../../../xs2a/profiles/types';
import { BEC_BASE_URL, ENFUCE_BASE_URL, testBecProfile, testEnfuceProfile } from '../../banks/fixtures';
import { FakeTransport } from './fake-transport';

const CONSENT: CreateConsentInput = {
  access: { allPsd2: 'allAccounts' },
  recurringIndicator: true,
  validUntil: '2027-05-01',
  frequencyPerDay: 4,
  combinedServiceIndicator: false,
};

function client(profile: BankProfile) {
  const transport = new FakeTransport();
  return { transport, xs2a: new Xs2aClient({ profile, transport }) };
}

async function caught(p: Promise<unknown>): Promise<Xs2aError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Xs2aError) return err;
    throw err;
  }
  throw new Error('expected an Xs2aError');
}

async function allPages(gen: AsyncGenerator<TransactionPage>): Promise<TransactionPage[]> {
  const pages: TransactionPage[] = [];
  for await (const page of gen) pages.push(page);
  return pages;
}

const tx = (id: string, amount = '-10.00') => ({
  transactionId: id,
  bookingDate: '2026-11-01',
  transactionAmount: { currency: 'DKK', amount },
});
const cardTx = (id: string, amount = '-5.50') => ({
  cardTransactionId: id,
  transactionDate: '2026-11-02',
  transactionAmount: { currency: 'SEK', amount },
  maskedPAN: '524378******8693',
  cardAcceptorId: 'M-1',
  transactionDetails: 'Coffee shop',
});

describe('createConsent', () => {
  it('BEC (redirect): TPP-Redirect headers, PSU-IP-Address, no bearer; returns the scaRedirect link', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply({
      status: 201,
      body: {
        consentId: 'c-1',
        consentStatus: 'received',
        _links: { scaRedirect: { href: 'https://bank/sca/c-1' } },
        scaMethods: [],
      },
    });
    const created = await xs2a.createConsent(CONSENT, {
      psuIpAddress: '192.0.2.10',
      redirectUri: 'https://tpp.example/ok',
      nokRedirectUri: 'https://tpp.example/nok',
      psuId: 'PSU-1',
    });
    expect(created).toEqual({ consentId: 'c-1', consentStatus: 'received', scaRedirect: 'https://bank/sca/c-1' });
    const req = transport.last;
    expect(req).toMatchObject({
      method: 'POST',
      path: '/v1/consents',
      operation: 'POST /v1/consents',
      psuIpAddress: '192.0.2.10',
    });
    expect(req.headers).toEqual({
      'TPP-Redirect-URI': 'https://tpp.example/ok',
      'TPP-Nok-Redirect-URI': 'https://tpp.example/nok',
      'TPP-Redirect-Preferred': 'true',
      'PSU-ID': 'PSU-1',
    });
    expect(req.accessToken).toBeUndefined();
    expect(req.json).toEqual(CONSENT);
  });

  it('Enfuce (OAuth2 integrated): bearer client-credentials token and X-API-Key, no redirect headers', async () => {
    const { transport, xs2a } = client(testEnfuceProfile());
    transport.reply({
      status: 201,
      body: { consentId: 'e-1', consentStatus: 'received', _links: { scaOAuth: { href: 'https://x/.well-known' } } },
    });
    const created = await xs2a.createConsent(CONSENT, { psuIpAddress: '192.0.2.10', accessToken: 'cc-token' });
    expect(created).toEqual({ consentId: 'e-1', consentStatus: 'received' });
    const req = transport.last;
    expect(req).toMatchObject({
      path: '/consent/v1/consents',
      operation: 'POST /consent/v1/consents',
      accessToken: 'cc-token',
    });
    expect(req.headers).toEqual({ 'X-API-Key': 'api-key-1' });
  });

  it('refuses to start without what the SCA approach needs', async () => {
    const bec = client(testBecProfile());
    expect((await caught(bec.xs2a.createConsent(CONSENT, { psuIpAddress: '192.0.2.1' }))).kind).toBe('configuration');
    const enfuce = client(testEnfuceProfile());
    expect((await caught(enfuce.xs2a.createConsent(CONSENT, { psuIpAddress: '192.0.2.1' }))).kind).toBe(
      'configuration',
    );
    expect(bec.transport.requests).toHaveLength(0);
    expect(enfuce.transport.requests).toHaveLength(0);
  });

  it('a redirect bank answering without scaRedirect is an invalid response naming the link', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply({ status: 201, body: { consentId: 'c-1', consentStatus: 'received', _links: {} } });
    const err = await caught(xs2a.createConsent(CONSENT, { psuIpAddress: '192.0.2.1', redirectUri: 'https://tpp/ok' }));
    expect(err).toMatchObject({ kind: 'invalid_response', field: '_links.scaRedirect.href' });
  });

  it('an unknown consentStatus is an invalid response', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply({
      status: 201,
      body: { consentId: 'c-1', consentStatus: 'happy', _links: { scaRedirect: { href: 'https://b' } } },
    });
    const err = await caught(xs2a.createConsent(CONSENT, { psuIpAddress: '192.0.2.1', redirectUri: 'https://tpp/ok' }));
    expect(err).toMatchObject({ kind: 'invalid_response', field: 'consentStatus' });
  });
});

describe('consent resource', () => {
  it('getConsent and getConsentStatus read the consent with templated operations', async () => {
    const { transport, xs2a } = client(testEnfuceProfile());
    transport.reply(
      {
        body: {
          access: { allPsd2: 'allAccounts' },
          recurringIndicator: true,
          validUntil: '2027-01-01',
          frequencyPerDay: 4,
          lastActionDate: '2026-11-20',
          consentStatus: 'valid',
          _links: {},
        },
      },
      { body: { consentStatus: 'revokedByPsu' } },
    );
    const details = await xs2a.getConsent('c/1', { accessToken: 'cc' });
    expect(details).toEqual({
      consentId: 'c/1',
      consentStatus: 'valid',
      validUntil: '2027-01-01',
      frequencyPerDay: 4,
      recurringIndicator: true,
      lastActionDate: '2026-11-20',
      access: { allPsd2: 'allAccounts' },
    });
    expect(transport.requests[0]).toMatchObject({
      method: 'GET',
      path: '/consent/v1/consents/c%2F1',
      operation: 'GET /consent/v1/consents/{consentId}',
      accessToken: 'cc',
      headers: { 'X-API-Key': 'api-key-1' },
    });
    expect(await xs2a.getConsentStatus('c1')).toBe('revokedByPsu');
    expect(transport.last).toMatchObject({
      path: '/consent/v1/consents/c1/status',
      operation: 'GET /consent/v1/consents/{consentId}/status',
    });
  });

  it('deleteConsent: 204 is done, and so is a consent the bank no longer knows', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply(
      { status: 204 },
      { status: 404, body: {} },
      { status: 403, body: { tppMessages: [{ category: 'ERROR', code: 'CONSENT_UNKNOWN' }] } },
      { status: 400, body: { tppMessages: [{ category: 'ERROR', code: 'CONSENT_UNKNOWN' }] } },
    );
    for (let i = 0; i < 4; i++) await expect(xs2a.deleteConsent('c-1')).resolves.toBeUndefined();
    expect(transport.requests.map((r) => `${r.method} ${r.path} ${r.operation}`)).toEqual(
      Array(4).fill('DELETE /v1/consents/c-1 DELETE /v1/consents/{consentId}'),
    );
  });

  it('deleteConsent: other refusals still fail', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply(
      { status: 400, body: { tppMessages: [{ category: 'ERROR', code: 'SIGNATURE_INVALID' }] } },
      { status: 503, body: {} },
    );
    expect((await caught(xs2a.deleteConsent('c-1'))).kind).toBe('signature');
    expect((await caught(xs2a.deleteConsent('c-1'))).kind).toBe('server');
  });
});

describe('accounts and balances', () => {
  it('BEC: payment accounts normalised, unattended read counted against frequencyPerDay', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply({
      body: {
        accounts: [
          {
            resourceId: 'acc-1',
            iban: 'DK5000400440116243',
            currency: 'DKK',
            name: 'Lønkonto',
            cashAccountType: 'CACC',
            status: 'enabled',
            balances: [
              {
                balanceType: 'interimAvailable',
                balanceAmount: { currency: 'DKK', amount: '1234.50' },
                creditLimitIncluded: false,
              },
            ],
            _links: { balances: { href: '/v1/accounts/acc-1/balances' } },
          },
        ],
      },
    });
    const accounts = await xs2a.listAccounts({ consentId: 'c-1', frequencyPerDay: 2, withBalance: true });
    expect(accounts).toEqual([
      {
        resourceId: 'acc-1',
        kind: 'account',
        iban: 'DK5000400440116243',
        currency: 'DKK',
        name: 'Lønkonto',
        cashAccountType: 'CACC',
        status: 'enabled',
        balances: [
          {
            balanceType: 'interimAvailable',
            balanceAmount: { currency: 'DKK', amount: '1234.50' },
            creditLimitIncluded: false,
          },
        ],
      },
    ]);
    expect(transport.last).toMatchObject({
      method: 'GET',
      path: '/v1/accounts',
      operation: 'GET /v1/accounts',
      query: { withBalance: true },
      consentId: 'c-1',
      unattended: { consentId: 'c-1', endpoint: 'accounts', frequencyPerDay: 2 },
    });
    expect(transport.last.psuIpAddress).toBeUndefined();
  });

  it('Enfuce: card accounts normalised with maskedPan and credit limit; PSU present means not counted', async () => {
    const { transport, xs2a } = client(testEnfuceProfile());
    transport.reply({
      body: {
        cardAccounts: [
          {
            resourceId: 'card-1',
            maskedPan: '524378******8693',
            currency: 'SEK',
            name: 'Rocker Card',
            product: 'Credit',
            status: 'enabled',
            creditLimit: { currency: 'SEK', amount: '20000.00' },
            debitAccounting: false,
          },
        ],
      },
    });
    const accounts = await xs2a.listAccounts({ consentId: 'e-1', accessToken: 'psu-at', psuIpAddress: '198.51.100.7' });
    expect(accounts).toEqual([
      {
        resourceId: 'card-1',
        kind: 'card-account',
        maskedPan: '524378******8693',
        currency: 'SEK',
        name: 'Rocker Card',
        product: 'Credit',
        status: 'enabled',
        creditLimit: { currency: 'SEK', amount: '20000.00' },
      },
    ]);
    expect(transport.last).toMatchObject({
      path: '/card-account/v1/card-accounts',
      operation: 'GET /card-account/v1/card-accounts',
      consentId: 'e-1',
      accessToken: 'psu-at',
      psuIpAddress: '198.51.100.7',
    });
    expect(transport.last.unattended).toBeUndefined();
    expect(transport.last.query).toBeUndefined();
  });

  it('uses the profile default frequencyPerDay when the context has none', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply({ body: { accounts: [] } });
    await xs2a.listAccounts({ consentId: 'c-1' });
    expect(transport.last.unattended).toEqual({ consentId: 'c-1', endpoint: 'accounts', frequencyPerDay: 4 });
  });

  it('a float amount or a missing resourceId is rejected, naming the field', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply(
      {
        body: {
          accounts: [
            {
              resourceId: 'a',
              currency: 'DKK',
              balances: [{ balanceType: 'expected', balanceAmount: { currency: 'DKK', amount: 12.5 } }],
            },
          ],
        },
      },
      { body: { accounts: [{ currency: 'DKK' }] } },
    );
    expect(await caught(xs2a.listAccounts({ consentId: 'c' }))).toMatchObject({
      kind: 'invalid_response',
      field: 'accounts[0].balances[0].balanceAmount.amount',
    });
    expect(await caught(xs2a.listAccounts({ consentId: 'c' }))).toMatchObject({
      kind: 'invalid_response',
      field: 'accounts[0].resourceId',
    });
  });

  it('getBalances: per-account endpoint key and templated operation, amounts stay strings', async () => {
    const { transport, xs2a } = client(testEnfuceProfile());
    transport.reply({
      body: {
        cardAccount: { maskedPan: '524378******8693' },
        balances: [
          { balanceType: 'interimBooked', balanceAmount: { currency: 'SEK', amount: '-0.10' } },
          { balanceType: 'expected', balanceAmount: { currency: 'SEK', amount: '100' }, referenceDate: '2026-11-20' },
        ],
      },
    });
    const balances = await xs2a.getBalances('card-1', { consentId: 'e-1', accessToken: 'at', frequencyPerDay: 4 });
    expect(balances).toEqual([
      { balanceType: 'interimBooked', balanceAmount: { currency: 'SEK', amount: '-0.10' } },
      { balanceType: 'expected', balanceAmount: { currency: 'SEK', amount: '100' }, referenceDate: '2026-11-20' },
    ]);
    expect(transport.last).toMatchObject({
      path: '/card-account/v1/card-accounts/card-1/balances',
      operation: 'GET /card-account/v1/card-accounts/{account-id}/balances',
      unattended: { consentId: 'e-1', endpoint: 'balances:card-1', frequencyPerDay: 4 },
    });
  });
});

describe('listTransactions', () => {
  it('follows host-relative, API-relative and absolute next links to the end; only the first page is an unattended access', async () => {
    const { transport, xs2a } = client(testBecProfile());
    const origin = new URL(BEC_BASE_URL).origin;
    transport.reply(
      {
        body: {
          account: { iban: 'DK50' },
          transactions: {
            booked: [tx('t1'), tx('t2')],
            pending: [tx('p1', '-1.00')],
            _links: { next: { href: '/psd2/0400/v1/accounts/acc-1/transactions?page=2' } },
          },
        },
      },
      {
        body: {
          transactions: { booked: [tx('t3')], _links: { next: { href: '/v1/accounts/acc-1/transactions?page=3' } } },
        },
      },
      {
        body: {
          transactions: {
            booked: [tx('t4')],
            _links: { next: { href: `${origin}/psd2/0400/v1/accounts/acc-1/transactions?page=4` } },
          },
        },
      },
      { body: { transactions: { booked: [], pending: [tx('p2')], _links: {} } } },
    );
    const pages = await allPages(
      xs2a.listTransactions(
        'acc-1',
        { bookingStatus: 'both', dateFrom: '2025-01-01', dateTo: '2026-11-21' },
        { consentId: 'c-1', frequencyPerDay: 4 },
      ),
    );

    expect(pages.map((p) => p.pageNumber)).toEqual([1, 2, 3, 4]);
    expect(pages.map((p) => p.transactions.map((t) => `${t.bookingStatus}:${t.transactionId}`))).toEqual([
      ['booked:t1', 'booked:t2', 'pending:p1'],
      ['booked:t3'],
      ['booked:t4'],
      ['pending:p2'],
    ]);
    const pageUrl = (n: number) => `${origin}/psd2/0400/v1/accounts/acc-1/transactions?page=${n}`;
    expect(pages.map((p) => p.next)).toEqual([pageUrl(2), pageUrl(3), pageUrl(4), undefined]);
    expect(pages[0].transactions[0]).toEqual({
      transactionId: 't1',
      bookingStatus: 'booked',
      bookingDate: '2026-11-01',
      transactionAmount: { currency: 'DKK', amount: '-10.00' },
      raw: tx('t1'),
    });

    const [first, ...later] = transport.requests;
    expect(first).toMatchObject({
      method: 'GET',
      path: '/v1/accounts/acc-1/transactions',
      query: { bookingStatus: 'both', dateFrom: '2025-01-01', dateTo: '2026-11-21' },
      consentId: 'c-1',
      unattended: { consentId: 'c-1', endpoint: 'transactions:acc-1', frequencyPerDay: 4 },
      operation: 'GET /v1/accounts/{account-id}/transactions',
    });
    for (const req of later) {
      expect(req.unattended).toBeUndefined();
      expect(req.query).toBeUndefined(); // the link carries its own query
      expect(req.consentId).toBe('c-1');
      expect(req.operation).toBe('GET /v1/accounts/{account-id}/transactions');
    }
    expect(later.map((r) => r.path)).toEqual([pageUrl(2), pageUrl(3), pageUrl(4)]);
  });

  it('Enfuce card transactions: booked and pending normalised, token and PSU IP on every page', async () => {
    const { transport, xs2a } = client(testEnfuceProfile());
    transport.reply(
      {
        body: {
          cardAccount: {},
          cardTransactions: {
            booked: [cardTx('k1')],
            pending: [cardTx('k2', '-2.00')],
            _links: { next: { href: '/card-account/v1/card-accounts/card-1/transactions?pageIndex=1' } },
          },
        },
      },
      {
        body: {
          cardTransactions: { booked: [{ ...cardTx('k3'), maskedPAN: undefined, maskedPan: '4000******0002' }] },
        },
      },
    );
    const ctx = { consentId: 'e-1', accessToken: 'psu-at', psuIpAddress: '198.51.100.7' };
    const pages = await allPages(
      xs2a.listTransactions('card-1', { bookingStatus: 'booked', dateFrom: '2026-01-01' }, ctx),
    );
    expect(pages).toHaveLength(2);
    expect(pages[0].transactions[0]).toEqual({
      transactionId: 'k1',
      bookingStatus: 'booked',
      transactionDate: '2026-11-02',
      transactionAmount: { currency: 'SEK', amount: '-5.50' },
      remittanceInformationUnstructured: 'Coffee shop',
      description: 'Coffee shop',
      cardAcceptorId: 'M-1',
      maskedPan: '524378******8693',
      raw: cardTx('k1'),
    });
    expect(pages[0].transactions[1]).toMatchObject({ transactionId: 'k2', bookingStatus: 'pending' });
    expect(pages[1].transactions[0]).toMatchObject({ transactionId: 'k3', maskedPan: '4000******0002' });
    expect(transport.requests[0]).toMatchObject({
      path: '/card-account/v1/card-accounts/card-1/transactions',
      operation: 'GET /card-account/v1/card-accounts/{account-id}/transactions',
      query: { bookingStatus: 'booked', dateFrom: '2026-01-01' },
    });
    for (const req of transport.requests) {
      expect(req).toMatchObject({ accessToken: 'psu-at', psuIpAddress: '198.51.100.7', consentId: 'e-1' });
      expect(req.unattended).toBeUndefined();
    }
    expect(transport.requests[1].path).toBe(
      `${new URL(ENFUCE_BASE_URL).origin}/rocker/card-account/v1/card-accounts/card-1/transactions?pageIndex=1`,
    );
  });

  it('refuses a next link to another origin (it would carry our signature and the PSU token away)', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply({
      body: {
        transactions: {
          booked: [tx('t1')],
          _links: { next: { href: 'https://evil.example/v1/accounts/acc-1/transactions?page=2' } },
        },
      },
    });
    const err = await caught(
      allPages(xs2a.listTransactions('acc-1', { bookingStatus: 'booked', dateFrom: '2026-01-01' }, { consentId: 'c' })),
    );
    expect(err).toMatchObject({ kind: 'invalid_response', field: 'transactions._links.next.href' });
    expect(transport.requests).toHaveLength(1);
  });

  it('stops a bank that links back to a page it already served', async () => {
    const { transport, xs2a } = client(testBecProfile());
    const loop = {
      body: {
        transactions: {
          booked: [tx('t1')],
          _links: { next: { href: '/psd2/0400/v1/accounts/acc-1/transactions?page=2' } },
        },
      },
    };
    transport.reply(loop, loop, loop);
    const err = await caught(
      allPages(xs2a.listTransactions('acc-1', { bookingStatus: 'booked', dateFrom: '2026-01-01' }, { consentId: 'c' })),
    );
    expect(err).toMatchObject({ kind: 'invalid_response' });
    expect(transport.requests).toHaveLength(2);
  });

  it('a page without the transactions object is an invalid response', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply({ body: { account: {} } });
    const err = await caught(
      allPages(xs2a.listTransactions('acc-1', { bookingStatus: 'booked', dateFrom: '2026-01-01' }, { consentId: 'c' })),
    );
    expect(err).toMatchObject({ kind: 'invalid_response', field: 'transactions' });
  });
});

describe('PIS, funds confirmation and enrolment (BEC)', () => {
  it('initiatePayment posts the body with redirect headers and returns the SCA link', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply({
      status: 201,
      body: {
        transactionStatus: 'RCVD',
        paymentId: 'p-1',
        _links: { scaRedirect: { href: 'https://bank/sca/p-1' }, self: { href: '/x' } },
      },
    });
    const body = {
      debtorAccount: { iban: 'DK5000400440116243' },
      instructedAmount: { currency: 'DKK', amount: '10.00' },
      creditorAccount: { iban: 'DK1961406140009127' },
      creditorName: 'Shop',
    };
    const payment = await xs2a.initiatePayment('sepa-credit-transfers', body, {
      psuIpAddress: '192.0.2.1',
      redirectUri: 'https://tpp/ok',
      nokRedirectUri: 'https://tpp/nok',
    });
    expect(payment).toEqual({
      paymentId: 'p-1',
      transactionStatus: 'RCVD',
      scaRedirect: 'https://bank/sca/p-1',
      requestId: 'req-1',
    });
    expect(transport.last).toMatchObject({
      method: 'POST',
      path: '/v1/payments/sepa-credit-transfers',
      operation: 'POST /v1/payments/{payment-product}',
      json: body,
      psuIpAddress: '192.0.2.1',
      headers: {
        'TPP-Redirect-URI': 'https://tpp/ok',
        'TPP-Nok-Redirect-URI': 'https://tpp/nok',
        'TPP-Redirect-Preferred': 'true',
      },
    });
  });

  it('getPaymentStatus reads transactionStatus', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply({ body: { transactionStatus: 'ACSC' } });
    expect(await xs2a.getPaymentStatus('sepa-credit-transfers', 'p-1')).toEqual({ transactionStatus: 'ACSC' });
    expect(transport.last).toMatchObject({
      path: '/v1/payments/sepa-credit-transfers/p-1/status',
      operation: 'GET /v1/payments/{payment-product}/{paymentId}/status',
    });
  });

  it('confirmFunds posts the Berlin Group body and reads fundsAvailable', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply({ body: { fundsAvailable: false } }, { body: { fundsAvailable: 'yes' } });
    expect(
      await xs2a.confirmFunds({
        account: { iban: 'DK50' },
        instructedAmount: { currency: 'DKK', amount: '99.95' },
        cardNumber: '1234',
      }),
    ).toBe(false);
    expect(transport.last).toMatchObject({
      method: 'POST',
      path: '/v1/funds-confirmations',
      operation: 'POST /v1/funds-confirmations',
      json: { cardNumber: '1234', account: { iban: 'DK50' }, instructedAmount: { currency: 'DKK', amount: '99.95' } },
    });
    expect(
      await caught(
        xs2a.confirmFunds({ account: { iban: 'DK50' }, instructedAmount: { currency: 'DKK', amount: '1' } }),
      ),
    ).toMatchObject({
      kind: 'invalid_response',
      field: 'fundsAvailable',
    });
  });

  it('enrolSignatureCertificate posts the base64 DER as a normal signed request', async () => {
    const { transport, xs2a } = client(testBecProfile());
    transport.reply(
      { status: 201, body: { enrolmentId: 'en-1', status: 'enrolled' } },
      { status: 201, body: { enrolmentId: 'en-2', enrolmentStatus: 'pending' } },
    );
    expect(await xs2a.enrolSignatureCertificate('MIIBfake==')).toEqual({ enrolmentId: 'en-1', status: 'enrolled' });
    expect(transport.last).toMatchObject({
      method: 'POST',
      path: '/v1/enrolment',
      operation: 'POST /v1/enrolment',
      json: { signatureCertificate: 'MIIBfake==' },
    });
    expect(transport.last.signed).not.toBe(false);
    expect(await xs2a.enrolSignatureCertificate('MIIBfake==')).toEqual({ enrolmentId: 'en-2', status: 'pending' });
  });

  it('banks without PIS, PIIS or enrolment say so as a configuration error', async () => {
    const { transport, xs2a } = client(testEnfuceProfile());
    expect(
      (
        await caught(
          xs2a.initiatePayment('sepa-credit-transfers', {} as never, {
            psuIpAddress: '1',
            redirectUri: 'r',
            nokRedirectUri: 'n',
          }),
        )
      ).kind,
    ).toBe('configuration');
    expect(
      (await caught(xs2a.confirmFunds({ account: { iban: 'x' }, instructedAmount: { currency: 'SEK', amount: '1' } })))
        .kind,
    ).toBe('configuration');
    expect((await caught(xs2a.enrolSignatureCertificate('x'))).kind).toBe('configuration');
    expect(transport.requests).toHaveLength(0);
  });
});

describe('OAuth entry points on the client', () => {
  it('authorisationUrl works for OAuth2 banks and is a configuration error for redirect banks', () => {
    const enfuce = client(testEnfuceProfile()).xs2a;
    expect(
      enfuce.authorisationUrl({ consentId: 'e-1', state: 's', codeChallenge: 'c', redirectUri: 'https://r' }),
    ).toContain('scope=AIS%3Ae-1');
    const bec = client(testBecProfile()).xs2a;
    expect(() =>
      bec.authorisationUrl({ consentId: 'c', state: 's', codeChallenge: 'c', redirectUri: 'https://r' }),
    ).toThrow(expect.objectContaining({ kind: 'configuration' }));
  });

  it('tokens() reuses one TokenClient bound to the profile and the injected clock', async () => {
    const transport = new FakeTransport().reply({ body: { access_token: 'a', token_type: 'Bearer', expires_in: 10 } });
    const xs2a = new Xs2aClient({ profile: testEnfuceProfile(), transport, now: () => 1000 });
    expect(xs2a.tokens()).toBe(xs2a.tokens());
    expect((await xs2a.tokens().clientCredentials()).expiresAt).toBe(11_000);
  });
});
