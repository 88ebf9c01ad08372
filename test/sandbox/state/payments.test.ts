import { describe, expect, it } from 'vitest';
import { ibanFromBban } from '../../../sandbox/data/iban';
import { approvedConsent, frozenClock, makeBank, START } from './fixtures';

const METTE = 'DK8004004012345678';
const LARS = 'DK1961406140009127';
const CREDITOR = ibanFromBban('DK', '30003330000001');

function payment(debtorIban: string, amount: string, product = 'sepa-credit-transfers') {
  return {
    product,
    debtorIban,
    amount,
    currency: 'DKK',
    creditorIban: CREDITOR,
    creditorName: 'Vognmand Jensen ApS',
    redirectUri: 'https://tpp.example/ok',
    nokRedirectUri: 'https://tpp.example/nok',
  };
}

describe('payments', () => {
  it('go RCVD → ACTC on approval, then ACSC once the clock is a second past the decision', () => {
    const { state, clock } = makeBank('bec', { clock: frozenClock(START) });
    const created = state.createPayment(payment(METTE, '125.50'));
    expect(created).toMatchObject({ status: 'RCVD', amount: '125.50', debtorIban: METTE });
    expect(state.getPayment(created.paymentId)!.status).toBe('RCVD');
    expect(state.decidePayment(created.paymentId, 'bec-psu-1', 'approve').status).toBe('ACTC');
    expect(state.getPayment(created.paymentId)!.status).toBe('ACTC');
    clock.advance(999);
    expect(state.getPayment(created.paymentId)!.status).toBe('ACTC');
    clock.advance(1);
    expect(state.getPayment(created.paymentId)).toMatchObject({ status: 'ACSC', psuId: 'bec-psu-1' });
    expect(() => state.decidePayment(created.paymentId, 'bec-psu-1', 'approve')).toThrow(
      expect.objectContaining({ code: 'STATUS_INVALID' }),
    );
  });

  it('debit the account: balance and transaction list show the payment', () => {
    const { state } = makeBank('bec');
    const consentId = approvedConsent(state, { psuId: 'bec-psu-1' });
    const account = state.accounts(consentId).find((a) => a.iban === METTE)!;
    const available = () =>
      Number(
        state.balances(consentId, account.resourceId).find((b) => b.balanceType === 'interimAvailable')!.balanceAmount
          .amount,
      );
    const before = available();
    const created = state.createPayment(payment(METTE, '100.25'));
    state.decidePayment(created.paymentId, 'bec-psu-1', 'approve');
    expect(available()).toBeCloseTo(before - 100.25, 2);
    const [latest] = state.transactions(consentId, account.resourceId, {
      bookingStatus: 'booked',
      dateFrom: '2026-03-15',
    });
    expect(latest).toMatchObject({
      transactionAmount: { amount: '-100.25', currency: 'DKK' },
      creditorName: 'Vognmand Jensen ApS',
      bookingDate: '2026-03-15',
    });
    expect(latest.transactionId.length).toBeLessThanOrEqual(35);
  });

  it('are RJCT for insufficient funds, for a debtor account that is not the PSU’s, and on denial', () => {
    const { state } = makeBank('bec');
    const lars = approvedConsent(state, { psuId: 'bec-psu-2' });
    const [account] = state.accounts(lars);
    const available = Number(
      state.balances(lars, account.resourceId).find((b) => b.balanceType === 'interimAvailable')!.balanceAmount.amount,
    );
    expect(available).toBeLessThan(10_000);

    const tooMuch = state.createPayment(payment(LARS, '10000.00'));
    expect(state.decidePayment(tooMuch.paymentId, 'bec-psu-2', 'approve')).toMatchObject({
      status: 'RJCT',
      statusReason: 'insufficient funds',
    });
    // exactly the available amount is fine
    const exact = state.createPayment(payment(LARS, available.toFixed(2)));
    expect(state.decidePayment(exact.paymentId, 'bec-psu-2', 'approve').status).toBe('ACTC');

    const notHis = state.createPayment(payment(METTE, '1.00'));
    expect(state.decidePayment(notHis.paymentId, 'bec-psu-2', 'approve').status).toBe('RJCT');
    const denied = state.createPayment(payment(METTE, '1.00'));
    expect(state.decidePayment(denied.paymentId, 'bec-psu-1', 'deny').status).toBe('RJCT');
    expect(state.getPayment(denied.paymentId)!.status).toBe('RJCT');
  });

  it('move on by product: instant is ACSC at approval, cross-border ACSP for two hours, then ACSC', () => {
    const { state, clock } = makeBank('bec', { clock: frozenClock(START) });
    const instant = state.createPayment(payment(METTE, '10.00', 'instant-sepa-credit-transfers'));
    expect(state.decidePayment(instant.paymentId, 'bec-psu-1', 'approve').status).toBe('ACSC');
    const abroad = state.createPayment(payment(METTE, '10.00', 'cross-border-credit-transfers'));
    expect(state.decidePayment(abroad.paymentId, 'bec-psu-1', 'approve').status).toBe('ACSP');
    clock.advance(2 * 3_600_000 - 1);
    expect(state.getPayment(abroad.paymentId)!.status).toBe('ACSP');
    clock.advance(1);
    expect(state.getPayment(abroad.paymentId)!.status).toBe('ACSC');
  });

  it('are deleted (CANC) by the TPP before authorisation; afterwards CANCELLATION_INVALID', () => {
    const { state } = makeBank('bec');
    const open = state.createPayment(payment(METTE, '3.00'));
    expect(state.cancelPayment(open.paymentId).status).toBe('CANC');
    expect(state.getPayment(open.paymentId)!.status).toBe('CANC');
    expect(() => state.decidePayment(open.paymentId, 'bec-psu-1', 'approve')).toThrow(
      expect.objectContaining({ code: 'STATUS_INVALID' }),
    );
    const approved = state.createPayment(payment(METTE, '3.00'));
    state.decidePayment(approved.paymentId, 'bec-psu-1', 'approve');
    expect(() => state.cancelPayment(approved.paymentId)).toThrow(
      expect.objectContaining({ code: 'CANCELLATION_INVALID' }),
    );
    expect(() => state.cancelPayment('nope')).toThrow(expect.objectContaining({ code: 'RESOURCE_UNKNOWN' }));
  });

  it('validate amounts and IBANs, and refuse unknown payments and PSUs', () => {
    const { state } = makeBank('bec');
    expect(() => state.createPayment(payment(METTE, '1.005'))).toThrow(
      expect.objectContaining({ code: 'FORMAT_ERROR', path: 'instructedAmount.amount' }),
    );
    expect(() => state.createPayment(payment(METTE, '-5.00'))).toThrow(
      expect.objectContaining({ code: 'FORMAT_ERROR' }),
    );
    expect(() => state.createPayment(payment('DK8104004012345678', '5.00'))).toThrow(
      expect.objectContaining({ code: 'FORMAT_ERROR', path: 'debtorAccount.iban' }),
    );
    expect(state.getPayment('nope')).toBeUndefined();
    expect(() => state.decidePayment('nope', 'bec-psu-1', 'approve')).toThrow(
      expect.objectContaining({ code: 'RESOURCE_UNKNOWN' }),
    );
    const created = state.createPayment(payment(METTE, '5.00'));
    expect(() => state.decidePayment(created.paymentId, 'nobody', 'approve')).toThrow(
      expect.objectContaining({ code: 'PSU_CREDENTIALS_INVALID' }),
    );
    expect(state.getPayment(created.paymentId)!.status).toBe('RCVD');
  });
});

describe('funds confirmation', () => {
  it('answers by IBAN or masked PAN against the available balance, undefined for unknown accounts', () => {
    const bec = makeBank('bec').state;
    expect(bec.confirmFunds({ iban: LARS, amount: '1.00', currency: 'DKK' })).toBe(true);
    expect(bec.confirmFunds({ iban: LARS, amount: '50000.00', currency: 'DKK' })).toBe(false);
    expect(bec.confirmFunds({ iban: LARS, amount: '1.00', currency: 'EUR' })).toBe(false);
    expect(bec.confirmFunds({ iban: CREDITOR, amount: '1.00', currency: 'DKK' })).toBeUndefined();
    const rocker = makeBank('enfuce-rocker').state;
    expect(rocker.confirmFunds({ maskedPan: '524378******8693', amount: '100.00', currency: 'SEK' })).toBe(true);
    expect(rocker.confirmFunds({ maskedPan: '524378******8693', amount: '99999.00', currency: 'SEK' })).toBe(false);
  });
});

describe('certificate enrolment (BEC)', () => {
  it('enrols a certificate once and recognises it in any armour', () => {
    const { state } = makeBank('bec');
    const der = Buffer.from('not really a certificate, but bytes all the same').toString('base64');
    expect(state.isEnrolled(der)).toBe(false);
    const first = state.enrolCertificate({
      tppOrgId: 'PSDDK-DFSA-12345678',
      certificateDerBase64: der,
      serialNumber: '01',
    });
    expect(first.status).toBe('enrolled');
    expect(state.isEnrolled(der)).toBe(true);
    const pem = `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
    expect(state.isEnrolled(pem)).toBe(true);
    expect(
      state.enrolCertificate({ tppOrgId: 'PSDDK-DFSA-12345678', certificateDerBase64: pem, serialNumber: '01' })
        .enrolmentId,
    ).toBe(first.enrolmentId);
    expect(state.isEnrolled(Buffer.from('another').toString('base64'))).toBe(false);
    expect(makeBank('bec').state.isEnrolled(der)).toBe(false);
    expect(() => state.enrolCertificate({ tppOrgId: 'x', certificateDerBase64: '%%%', serialNumber: '1' })).toThrow(
      expect.objectContaining({ code: 'FORMAT_ERROR' }),
    );
  });
});
