import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { becProfile } from '../../banks/bec/profile';
import { toTransaction } from '../../xs2a/operations/normalise';
import { startApi, type ApiHarness } from './helpers';

/**
 * Issue 13, BEC transaction text: BEC's banks put a transaction's text in additionalInformation
 * and leave the remittance fields empty. The BEC profile takes it as the description; the API
 * exposes description and additionalInformation; the sandbox BEC serves its transactions that way.
 */

const amount = { amount: '-45.00', currency: 'DKK' };
const bec = becProfile({ bankId: '0400', environment: 'sandbox', baseUrl: 'https://127.0.0.1:1/psd2/0400' });
const describeBec = bec.hooks?.transactionDescription;

describe('normalising a transaction’s text', () => {
  it('BEC: additionalInformation is the description when the remittance fields are empty', () => {
    expect(describeBec, 'the BEC profile has a transactionDescription hook').toBeDefined();
    const t = toTransaction(
      { transactionAmount: amount, additionalInformation: 'Netto Aarhus' },
      'booked',
      describeBec,
    );
    expect(t).toMatchObject({ description: 'Netto Aarhus', additionalInformation: 'Netto Aarhus' });
    expect(t.remittanceInformationUnstructured).toBeUndefined();
    const blank = toTransaction(
      { transactionAmount: amount, remittanceInformationUnstructured: '  ', additionalInformation: 'Føtex' },
      'booked',
      describeBec,
    );
    expect(blank.description).toBe('Føtex');
  });

  it('BEC: remittance text, where present, stays the description', () => {
    const t = toTransaction(
      { transactionAmount: amount, remittanceInformationUnstructured: 'Husleje', additionalInformation: 'Overførsel' },
      'booked',
      describeBec,
    );
    expect(t.description).toBe('Husleje');
    const lines = toTransaction(
      { transactionAmount: amount, remittanceInformationUnstructuredArray: ['Faktura', '1234'] },
      'booked',
      describeBec,
    );
    expect(lines.description).toBe('Faktura 1234');
  });

  it('other banks: the remittance text only', () => {
    expect(
      toTransaction({ transactionAmount: amount, additionalInformation: 'x' }, 'booked').description,
    ).toBeUndefined();
    expect(
      toTransaction({ transactionAmount: amount, remittanceInformationUnstructured: 'Order 1' }, 'booked').description,
    ).toBe('Order 1');
  });
});

describe('the API serves BEC transactions with their text', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => api?.stop());

  it('the sandbox BEC leaves remittance empty; description and additionalInformation carry the text', async () => {
    const customer = 'c-text';
    const key = await api.key({ customers: [customer] });
    const created = await api.call('POST', '/v1/connections', key, {
      aspspId: 'bec',
      customerId: customer,
      redirectUrl: 'https://product.example/done',
    });
    expect(created.statusCode, created.body).toBe(201);
    const { id, authorisationUrl } = created.json();
    expect((await api.psuThroughApi(authorisationUrl, 'approve')).statusCode).toBe(302);

    const deadline = Date.now() + 30_000;
    let accounts: { id: string }[] = [];
    while (Date.now() < deadline) {
      const view = (await api.call('GET', `/v1/connections/${id}`, key)).json();
      if (view.status === 'active' && view.lastSyncAt) {
        accounts = (await api.call('GET', `/v1/connections/${id}/accounts`, key)).json().accounts;
        if (accounts.length > 0) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(accounts.length).toBeGreaterThan(0);

    // What the sandbox bank sent: no remittance field, the text in additionalInformation.
    const served = api.stack.sandbox
      .requestLog('bec')
      .filter((e) => e.method === 'GET' && e.path.endsWith('/transactions') && e.status === 200);
    expect(served.length).toBeGreaterThan(0);

    let seen = 0;
    for (const account of accounts) {
      const res = await api.call('GET', `/v1/accounts/${account.id}/transactions?limit=500`, key);
      expect(res.statusCode).toBe(200);
      for (const t of res.json().transactions as Record<string, unknown>[]) {
        seen++;
        expect(t).toHaveProperty('description');
        expect(t).toHaveProperty('additionalInformation');
        expect(t.remittanceInformation).toBeNull();
        expect(typeof t.description, JSON.stringify(t)).toBe('string');
        expect(t.description).toBe(t.additionalInformation);
      }
    }
    expect(seen, 'the sandbox ledger gives transactions').toBeGreaterThan(5);
  });
});
