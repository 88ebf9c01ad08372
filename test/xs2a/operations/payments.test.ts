import { describe, expect, it } from 'vitest';
import { Xs2aError } from '../../../xs2a/errors';
import { Xs2aClient } from '../../../xs2a/operations/client';
import {
  checkPaymentInitiation,
  ibanChecksumValid,
  type PaymentInitiationJson,
} from '../../../xs2a/operations/payments';
import { testBecProfile } from '../../banks/fixtures';
import { FakeTransport } from './fake-transport';

const body: PaymentInitiationJson = {
  debtorAccount: { iban: 'DK8004004012345678' },
  instructedAmount: { currency: 'DKK', amount: '125.50' },
  creditorAccount: { iban: 'DK1961406140009127' },
  creditorName: 'Vognmand Jensen ApS',
  remittanceInformationUnstructured: 'Invoice 4711',
};
const ctx = { psuIpAddress: '192.0.2.1', redirectUri: 'https://tpp/cb?state=s', nokRedirectUri: 'https://tpp/cb?x=1' };

function client() {
  const transport = new FakeTransport();
  return { transport, xs2a: new Xs2aClient({ profile: testBecProfile(), transport }) };
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

describe('Berlin Group 1.3.12 paymentInitiation_json', () => {
  it('accepts the mandatory fields and refuses what the spec does not allow, naming the field', () => {
    expect(checkPaymentInitiation('sepa-credit-transfers', body)).toBeUndefined();
    expect(
      checkPaymentInitiation('sepa-credit-transfers', { ...body, endToEndIdentification: 'E2E-1' }),
    ).toBeUndefined();
    // Cross-border: endToEndIdentification is n.a. in the guidelines' table.
    expect(
      checkPaymentInitiation('cross-border-credit-transfers', { ...body, endToEndIdentification: 'E2E-1' })?.field,
    ).toBe('endToEndIdentification');
    expect(checkPaymentInitiation('sepa-credit-transfers', { ...body, creditorName: 'x'.repeat(71) })?.field).toBe(
      'creditorName',
    );
    expect(
      checkPaymentInitiation('sepa-credit-transfers', { ...body, remittanceInformationUnstructured: 'x'.repeat(141) })
        ?.field,
    ).toBe('remittanceInformationUnstructured');
    expect(
      checkPaymentInitiation('sepa-credit-transfers', {
        ...body,
        instructedAmount: { currency: 'DKK', amount: '1,00' },
      })?.field,
    ).toBe('instructedAmount.amount');
    expect(
      checkPaymentInitiation('sepa-credit-transfers', { ...body, creditorAccount: { iban: 'not an iban' } })?.field,
    ).toBe('creditorAccount.iban');
    const { creditorAccount: _missing, ...withoutCreditor } = body;
    expect(checkPaymentInitiation('sepa-credit-transfers', withoutCreditor)?.field).toBe('creditorAccount');
  });

  it('checks IBAN check digits (mod 97)', () => {
    expect(ibanChecksumValid('DK8004004012345678')).toBe(true);
    expect(ibanChecksumValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanChecksumValid('DK8104004012345678')).toBe(false);
    expect(ibanChecksumValid('DK80')).toBe(false);
  });
});

describe('Xs2aClient payments', () => {
  it('initiatePayment sends the body, redirect headers, PSU-IP-Address and the given X-Request-ID', async () => {
    const { transport, xs2a } = client();
    transport.reply({
      status: 201,
      body: { transactionStatus: 'RCVD', paymentId: 'p-1', _links: { scaRedirect: { href: 'https://bank/sca' } } },
    });
    const created = await xs2a.initiatePayment('instant-sepa-credit-transfers', body, {
      ...ctx,
      requestId: '5d1a2a6c-9d1b-4c1e-8f37-0c8b2b1c0d11',
    });
    expect(created).toMatchObject({ paymentId: 'p-1', transactionStatus: 'RCVD', scaRedirect: 'https://bank/sca' });
    expect(transport.last).toMatchObject({
      method: 'POST',
      path: '/v1/payments/instant-sepa-credit-transfers',
      json: body,
      psuIpAddress: '192.0.2.1',
      requestId: '5d1a2a6c-9d1b-4c1e-8f37-0c8b2b1c0d11',
      headers: { 'TPP-Redirect-URI': ctx.redirectUri, 'TPP-Nok-Redirect-URI': ctx.nokRedirectUri },
    });
  });

  it('a body that breaks the schema is refused before anything is sent', async () => {
    const { transport, xs2a } = client();
    const err = await caught(xs2a.initiatePayment('sepa-credit-transfers', { ...body, creditorName: '' }, ctx));
    expect(err).toMatchObject({ kind: 'bad_request', field: 'creditorName' });
    expect(transport.requests).toHaveLength(0);
  });

  it('cancelPayment: 204 is cancelled, 202 needs the PSU, 405 CANCELLATION_INVALID is an error', async () => {
    const { transport, xs2a } = client();
    transport.reply(
      { status: 204 },
      { status: 202, body: { transactionStatus: 'ACTC', _links: { startAuthorisation: { href: '/x' } } } },
      {
        status: 405,
        body: { tppMessages: [{ category: 'ERROR', code: 'CANCELLATION_INVALID', text: 'too late' }] },
      },
    );
    expect(await xs2a.cancelPayment('sepa-credit-transfers', 'p-1')).toEqual({
      cancelled: true,
      authorisationRequired: false,
      transactionStatus: 'CANC',
    });
    expect(transport.last).toMatchObject({
      method: 'DELETE',
      path: '/v1/payments/sepa-credit-transfers/p-1',
      operation: 'DELETE /v1/payments/{payment-product}/{paymentId}',
    });
    expect(await xs2a.cancelPayment('sepa-credit-transfers', 'p-1')).toEqual({
      cancelled: false,
      authorisationRequired: true,
      transactionStatus: 'ACTC',
    });
    const err = await caught(xs2a.cancelPayment('sepa-credit-transfers', 'p-1'));
    expect(err.status).toBe(405);
    expect(err.codes).toContain('CANCELLATION_INVALID');
  });

  it('getPaymentStatus reads transactionStatus and fundsAvailable', async () => {
    const { transport, xs2a } = client();
    transport.reply({ body: { transactionStatus: 'ACSP', fundsAvailable: true } });
    expect(await xs2a.getPaymentStatus('cross-border-credit-transfers', 'p-9')).toEqual({
      transactionStatus: 'ACSP',
      fundsAvailable: true,
    });
  });
});
