import { describe, expect, it } from 'vitest';
import { Xs2aClient } from '../../../xs2a/operations/client';
import type { CreateConsentInput, TransactionPage } from '../../../xs2a/operations/types';
import { testBecProfile, testEnfuceProfile } from '../../banks/fixtures';
import { FakeTransport } from './fake-transport';

const CONSENT: CreateConsentInput = {
  access: { allPsd2: 'allAccounts' },
  recurringIndicator: true,
  validUntil: '2027-05-01',
  frequencyPerDay: 4,
  combinedServiceIndicator: false,
};
const tx = (id: string) => ({
  transactionId: id,
  bookingDate: '2026-11-01',
  transactionAmount: { currency: 'DKK', amount: '-1.00' },
});
const TOKEN = { body: { access_token: 'a', token_type: 'Bearer', expires_in: 10, refresh_token: 'r' } };

/** A caller's signal (Temporal's cancellation) reaches every transport request the call makes. */
describe('Xs2aClient and TokenClient forward ctx.signal to the transport', () => {
  it('consents: createConsent, getConsent, getConsentStatus, deleteConsent', async () => {
    const transport = new FakeTransport();
    const xs2a = new Xs2aClient({ profile: testBecProfile(), transport });
    const { signal } = new AbortController();
    transport.reply(
      {
        status: 201,
        body: { consentId: 'c-1', consentStatus: 'received', _links: { scaRedirect: { href: 'https://bank/sca' } } },
      },
      {
        body: {
          consentStatus: 'valid',
          validUntil: '2027-05-01',
          frequencyPerDay: 4,
          recurringIndicator: true,
          access: {},
        },
      },
      { body: { consentStatus: 'valid' } },
      { status: 204 },
    );
    await xs2a.createConsent(CONSENT, { psuIpAddress: '192.0.2.1', redirectUri: 'https://tpp/ok', signal });
    await xs2a.getConsent('c-1', { signal });
    await xs2a.getConsentStatus('c-1', { signal });
    await xs2a.deleteConsent('c-1', { signal });
    expect(transport.requests).toHaveLength(4);
    for (const req of transport.requests) expect(req.signal, req.operation).toBe(signal);
  });

  it('AIS: listAccounts, getBalances and every page of listTransactions', async () => {
    const transport = new FakeTransport();
    const xs2a = new Xs2aClient({ profile: testBecProfile(), transport });
    const { signal } = new AbortController();
    transport.reply(
      { body: { accounts: [] } },
      { body: { balances: [] } },
      {
        body: {
          transactions: { booked: [tx('t1')], _links: { next: { href: '/v1/accounts/a1/transactions?page=2' } } },
        },
      },
      { body: { transactions: { booked: [tx('t2')] } } },
    );
    const ctx = { consentId: 'c-1', signal };
    await xs2a.listAccounts(ctx);
    await xs2a.getBalances('a1', ctx);
    const pages: TransactionPage[] = [];
    for await (const page of xs2a.listTransactions('a1', { bookingStatus: 'booked', dateFrom: '2026-01-01' }, ctx))
      pages.push(page);
    expect(pages).toHaveLength(2);
    expect(transport.requests).toHaveLength(4);
    for (const req of transport.requests) expect(req.signal, req.operation).toBe(signal);
  });

  it('no signal given: requests carry none (unchanged)', async () => {
    const transport = new FakeTransport().reply({ body: { accounts: [] } });
    await new Xs2aClient({ profile: testBecProfile(), transport }).listAccounts({ consentId: 'c-1' });
    expect(transport.last).not.toHaveProperty('signal');
  });

  it('TokenClient: clientCredentials, authorizationCode and refresh take { signal }', async () => {
    const transport = new FakeTransport().reply(TOKEN, TOKEN, TOKEN);
    const tokens = new Xs2aClient({ profile: testEnfuceProfile(), transport }).tokens();
    const { signal } = new AbortController();
    await tokens.clientCredentials(undefined, { signal });
    await tokens.authorizationCode(
      { code: 'c', codeVerifier: 'v'.repeat(43), redirectUri: 'https://tpp/cb' },
      { signal },
    );
    await tokens.refresh('r', { signal });
    expect(transport.requests).toHaveLength(3);
    for (const req of transport.requests) expect(req.signal, req.operation).toBe(signal);
  });
});
