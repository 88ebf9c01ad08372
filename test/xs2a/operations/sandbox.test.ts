import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxBanks, type SandboxBanks } from '../../../sandbox';
import { certificateDerBase64, generateSandboxCertificates } from '../../../xs2a/certs';
import type { SandboxCertificateSet } from '../../../xs2a/certs/types';
import { type Xs2aError } from '../../../xs2a/errors';
import { createPkcePair, createState } from '../../../xs2a/oauth/pkce';
import { Xs2aClient } from '../../../xs2a/operations/client';
import type { CreateConsentInput, Transaction } from '../../../xs2a/operations/types';
import { becProfile } from '../../../banks/bec/profile';
import { enfuceProfile } from '../../../banks/enfuce/profile';
import type { BankProfile } from '../../../xs2a/profiles/types';
import { HttpXs2aTransport } from '../../../xs2a/transport/http-client';
import { testLogger } from '../../helpers/logger';
import { psuDecides } from '../../helpers/psu';

/**
 * The operations over the real transport (mTLS, cavage signatures) against the strict
 * sandbox banks: proves the requests the client shapes are the ones the banks accept,
 * and that what they answer passes our schemas. Full lifecycle tests live elsewhere.
 */

const ORG_ID = 'PSDDK-DFSA-TESTB2OPS';
const CALLBACK = 'http://127.0.0.1:9/callback';
const PSU_IP = '192.0.2.10';

let tpp: SandboxCertificateSet;
let sandbox: SandboxBanks;
const transports: HttpXs2aTransport[] = [];

function clientFor(profile: BankProfile): { xs2a: Xs2aClient; transport: HttpXs2aTransport } {
  const transport = new HttpXs2aTransport({
    profile,
    credentials: { qwac: tpp.qwac, qseal: tpp.qseal, bankCaPem: sandbox.serverCaPem },
    logger: testLogger(),
  });
  transports.push(transport);
  return { xs2a: new Xs2aClient({ profile, transport }), transport };
}

function consentInput(frequencyPerDay: number): CreateConsentInput {
  const validUntil = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);
  return {
    access: { allPsd2: 'allAccounts' },
    recurringIndicator: true,
    validUntil,
    frequencyPerDay,
    combinedServiceIndicator: false,
  };
}

beforeAll(async () => {
  tpp = generateSandboxCertificates({ organizationIdentifier: ORG_ID, organizationName: 'Operations Test TPP' });
  // Pages of 300 keep the run short while the ledgers still need several pages.
  sandbox = await startSandboxBanks({ tppCa: tpp.ca, settings: { transactionsPageSize: 300 }, logger: testLogger() });
}, 120_000);

afterAll(async () => {
  await Promise.all(transports.map((t) => t.close()));
  await sandbox?.stop();
});

describe('Xs2aClient against the sandbox banks', () => {
  it('BEC: enrol, consent with redirect SCA, accounts, balances, every transaction page, PIS, funds, delete', async () => {
    const profile = becProfile({ bankId: '0400', environment: 'sandbox', baseUrl: sandbox.banks.bec.baseUrl });
    const { xs2a, transport } = clientFor(profile);

    expect(await xs2a.enrolSignatureCertificate(certificateDerBase64(tpp.qseal.certificatePem))).toMatchObject({
      status: 'enrolled',
    });

    const created = await xs2a.createConsent(consentInput(1), {
      psuIpAddress: PSU_IP,
      redirectUri: CALLBACK,
      nokRedirectUri: `${CALLBACK}?nok=1`,
    });
    expect(created.consentStatus).toBe('received');
    expect(created.scaRedirect).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    const { location } = await psuDecides(created.scaRedirect!, sandbox.serverCaPem, 'approve');
    expect(location.startsWith(CALLBACK)).toBe(true);
    expect(await xs2a.getConsentStatus(created.consentId)).toBe('valid');
    expect(await xs2a.getConsent(created.consentId)).toMatchObject({
      consentId: created.consentId,
      consentStatus: 'valid',
      frequencyPerDay: 1,
    });

    // frequencyPerDay 1: the unattended list counts once, a second one is refused before it leaves.
    const ctx = { consentId: created.consentId, frequencyPerDay: 1 };
    const accounts = await xs2a.listAccounts({ ...ctx, withBalance: true });
    expect(accounts.length).toBeGreaterThan(0);
    for (const a of accounts) expect(a).toMatchObject({ kind: 'account', iban: expect.stringMatching(/^DK\d{16}$/) });
    expect((await xs2a.listAccounts(ctx).catch((e: unknown) => e)) as Xs2aError).toMatchObject({
      kind: 'access_exceeded',
    });
    // With the PSU present nothing is counted.
    expect(await xs2a.listAccounts({ ...ctx, psuIpAddress: PSU_IP })).toHaveLength(accounts.length);

    const account = accounts[0];
    const balances = await xs2a.getBalances(account.resourceId, ctx);
    expect(balances.length).toBeGreaterThan(0);
    for (const b of balances) expect(b.balanceAmount.amount).toMatch(/^-?\d+(\.\d+)?$/);

    // Paging under frequencyPerDay 1: only the first page is an unattended access, here and at the bank.
    const pages: number[] = [];
    const all: Transaction[] = [];
    for await (const page of xs2a.listTransactions(
      account.resourceId,
      { bookingStatus: 'both', dateFrom: '2020-01-01' },
      ctx,
    )) {
      pages.push(page.pageNumber);
      all.push(...page.transactions);
    }
    expect(pages.length).toBeGreaterThan(1);
    expect(new Set(all.map((t) => t.transactionId)).size).toBe(all.length);
    expect(new Set(all.map((t) => t.bookingStatus))).toEqual(new Set(['booked', 'pending']));

    const payment = await xs2a.initiatePayment(
      'sepa-credit-transfers',
      {
        debtorAccount: { iban: account.iban! },
        instructedAmount: { currency: 'EUR', amount: '12.34' },
        creditorAccount: { iban: 'DK5000400440116243' },
        creditorName: 'Shop',
        remittanceInformationUnstructured: 'Order 1',
      },
      { psuIpAddress: PSU_IP, redirectUri: CALLBACK, nokRedirectUri: CALLBACK },
    );
    expect(payment).toMatchObject({ transactionStatus: 'RCVD', scaRedirect: expect.stringContaining('/payments/') });
    expect((await xs2a.getPaymentStatus('sepa-credit-transfers', payment.paymentId)).transactionStatus).toBe('RCVD');
    expect(
      typeof (await xs2a.confirmFunds({
        account: { iban: account.iban! },
        instructedAmount: { currency: account.currency, amount: '1.00' },
      })),
    ).toBe('boolean');

    await xs2a.deleteConsent(created.consentId);
    await xs2a.deleteConsent(created.consentId); // idempotent
    expect(await xs2a.getConsentStatus(created.consentId)).toBe('terminatedByTpp');
    expect(transport.stats().tlsHandshakes).toBeLessThanOrEqual(3);
  });

  it('Enfuce Rocker: client credentials, consent, authorisation URL accepted, a wrong PKCE verifier refused', async () => {
    const bank = sandbox.banks['enfuce-rocker'];
    const profile = enfuceProfile({
      issuer: 'rocker',
      environment: 'sandbox',
      baseUrl: bank.baseUrl,
      clientId: ORG_ID,
      apiKey: bank.apiKey,
    });
    const { xs2a } = clientFor(profile);

    const client = await xs2a.tokens().clientCredentials();
    const created = await xs2a.createConsent(consentInput(4), {
      psuIpAddress: PSU_IP,
      accessToken: client.accessToken,
    });
    expect(created).toMatchObject({ consentStatus: 'received' });

    const pkce = createPkcePair();
    const state = createState();
    const url = xs2a.authorisationUrl({
      consentId: created.consentId,
      state,
      codeChallenge: pkce.codeChallenge,
      redirectUri: CALLBACK,
    });
    const back = new URL((await psuDecides(url, sandbox.serverCaPem, 'approve')).location).searchParams;
    expect(back.get('state')).toBe(state);

    // A wrong verifier is refused as grant_invalid: PKCE is really checked.
    const wrong = await xs2a
      .tokens()
      .authorizationCode({
        code: back.get('code')!,
        codeVerifier: createPkcePair().codeVerifier,
        redirectUri: CALLBACK,
      })
      .catch((e: unknown) => e);
    expect(wrong).toMatchObject({ kind: 'grant_invalid' });
  });

  it('Enfuce ST1: PSU token reads card accounts and paged card transactions; a used refresh token is grant_invalid', async () => {
    const bank = sandbox.banks['enfuce-st1'];
    const profile = enfuceProfile({
      issuer: 'st1',
      environment: 'sandbox',
      baseUrl: bank.baseUrl,
      clientId: ORG_ID,
      apiKey: bank.apiKey,
    });
    const { xs2a } = clientFor(profile);

    const client = await xs2a.tokens().clientCredentials();
    const created = await xs2a.createConsent(consentInput(4), {
      psuIpAddress: PSU_IP,
      accessToken: client.accessToken,
    });
    const pkce = createPkcePair();
    const url = xs2a.authorisationUrl({
      consentId: created.consentId,
      state: createState(),
      codeChallenge: pkce.codeChallenge,
      redirectUri: CALLBACK,
    });
    const code = new URL((await psuDecides(url, sandbox.serverCaPem, 'approve')).location).searchParams.get('code')!;
    const tokens = await xs2a
      .tokens()
      .authorizationCode({ code, codeVerifier: pkce.codeVerifier, redirectUri: CALLBACK });
    expect(tokens.refreshToken).toBeDefined();

    const ctx = { consentId: created.consentId, accessToken: tokens.accessToken, frequencyPerDay: 4 };
    const cards = await xs2a.listAccounts(ctx);
    expect(cards.length).toBeGreaterThan(0);
    for (const c of cards) expect(c).toMatchObject({ kind: 'card-account', maskedPan: expect.any(String) });
    expect((await xs2a.getBalances(cards[0].resourceId, ctx)).length).toBeGreaterThan(0);

    let pages = 0;
    const all: Transaction[] = [];
    for await (const page of xs2a.listTransactions(
      cards[0].resourceId,
      { bookingStatus: 'both', dateFrom: '2020-01-01' },
      ctx,
    )) {
      pages++;
      all.push(...page.transactions);
    }
    expect(pages).toBeGreaterThan(1);
    const odd = all.filter((t) => !(t.transactionId && /^-?\d+\.\d{2}$/.test(t.transactionAmount.amount)));
    expect(odd.slice(0, 3)).toEqual([]);
    // Card purchases carry the card's masked PAN (spelled maskedPAN by the bank); repayments need not.
    expect(all.filter((t) => t.maskedPan).length).toBeGreaterThan(all.length / 2);

    const refreshed = await xs2a.tokens().refresh(tokens.refreshToken!);
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    const reused = await xs2a
      .tokens()
      .refresh(tokens.refreshToken!)
      .catch((e: unknown) => e);
    expect(reused).toMatchObject({ kind: 'grant_invalid' });
    expect((reused as Error).message).not.toContain(tokens.refreshToken!);

    await xs2a.deleteConsent(created.consentId, { accessToken: client.accessToken });
    await xs2a.deleteConsent(created.consentId, { accessToken: client.accessToken });
    expect(await xs2a.getConsentStatus(created.consentId, { accessToken: client.accessToken })).toBe('terminatedByTpp');
  });
});
