import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxBanks, type SandboxBanks } from '../../sandbox';
import { generateSandboxCertificates } from '../../xs2a/certs';
import type { PemPair } from '../../xs2a/certs/types';
import { testLogger } from '../helpers/logger';
import {
  PSU_IP,
  TPP_NOK_REDIRECT,
  TPP_REDIRECT,
  admin,
  browser,
  call,
  codeOf,
  daysFrom,
  formFields,
  makeTpp,
  pkcePair,
  type CallResult,
  type TestTpp,
} from './helpers';
import { becCreateConsent, becEnrol, becValidConsent, psuDecides } from './flows';

/** Happy paths through both bank families, driven as a TPP and a PSU's browser would. */

let sandbox: SandboxBanks;
let tpp: TestTpp;
let tppCa: PemPair;
const PAGE_SIZE = 40;

beforeAll(async () => {
  tppCa = generateSandboxCertificates().ca;
  sandbox = await startSandboxBanks({ tppCa, logger: testLogger(), settings: { transactionsPageSize: PAGE_SIZE } });
  tpp = makeTpp(sandbox.serverCaPem, { ca: tppCa, organizationName: 'Flow <TPP> & Co' });
});

afterAll(async () => {
  await tpp?.agent.close();
  await sandbox?.stop();
});

/** Follows `_links.next` (relative to the bank's baseUrl) to the end; returns every page. */
async function allPages(
  baseUrl: string,
  first: string,
  opts: { headers: Record<string, string>; sign: 'bec' | 'enfuce' },
): Promise<CallResult[]> {
  const pages: CallResult[] = [];
  let href: string | undefined = first;
  while (href) {
    const res = await call(tpp, `${baseUrl}${href}`, opts);
    expect(res.status, res.text).toBe(200);
    pages.push(res);
    const report = res.body.transactions ?? res.body.cardTransactions;
    href = report._links?.next?.href;
    expect(pages.length).toBeLessThan(50);
  }
  return pages;
}

describe('BEC', () => {
  beforeAll(async () => {
    await becEnrol(sandbox, tpp);
  });

  it('consent → MitID approve → accounts, balances, transactions paged to the end', async () => {
    const bec = sandbox.banks.bec.baseUrl;
    const { consentId, scaRedirect } = await becCreateConsent(sandbox, tpp, { frequencyPerDay: 2 });
    expect(scaRedirect).toBe(`${sandbox.banks.bec.origin}/psd2/0400/psu/consents/${consentId}`);
    const decided = await psuDecides(sandbox, scaRedirect, 'approve');
    // The page names the TPP (escaped), what is granted, until when and how often.
    expect(decided.page).toContain('Flow &lt;TPP&gt; &amp; Co');
    expect(decided.page).not.toContain('<TPP>');
    expect(decided.page).toContain('MitID');
    expect(decided.page).toMatch(/All your accounts/);
    expect(decided.page).toContain('name="decision" value="approve"');
    expect([decided.status, decided.location]).toEqual([302, TPP_REDIRECT]);

    const status = await call(tpp, `${bec}/v1/consents/${consentId}/status`);
    expect(status.body.consentStatus).toBe('valid');

    const headers = { 'Consent-ID': consentId };
    const list = await call(tpp, `${bec}/v1/accounts?withBalance=true`, { headers });
    expect(list.status, list.text).toBe(200);
    expect(list.body.accounts).toHaveLength(2);
    const current = list.body.accounts[0];
    expect(current.iban).toMatch(/^DK\d{16}$/);
    expect(current.balances.length).toBeGreaterThan(0);
    expect(current._links.transactions.href).toBe(`/v1/accounts/${current.resourceId}/transactions`);

    const balances = await call(tpp, `${bec}/v1/accounts/${current.resourceId}/balances`, { headers });
    expect(balances.status, balances.text).toBe(200);
    expect(balances.body.account.iban).toBe(current.iban);
    expect(balances.body.balances.map((b: { balanceType: string }) => b.balanceType)).toEqual(
      expect.arrayContaining(['closingBooked', 'expected', 'interimAvailable']),
    );

    const dateFrom = daysFrom(sandbox.clock.now(), -150);
    const pages = await allPages(
      bec,
      `/v1/accounts/${current.resourceId}/transactions?bookingStatus=both&dateFrom=${dateFrom}`,
      { headers, sign: 'bec' },
    );
    expect(pages.length).toBeGreaterThan(1);
    const booked = pages.flatMap((p) => p.body.transactions.booked);
    const pending = pages.flatMap((p) => p.body.transactions.pending);
    expect(booked.length + pending.length).toBeGreaterThan(PAGE_SIZE);
    for (const p of pages.slice(0, -1))
      expect(p.body.transactions.booked.length + p.body.transactions.pending.length).toBe(PAGE_SIZE);
    const ids = [...booked, ...pending].map((t: { transactionId: string }) => t.transactionId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(pages[0].body.account.iban).toBe(current.iban);
    // frequencyPerDay 2: accounts and balances are separate endpoints; pages 2+ were not counted,
    // so the list can be fetched once more unattended, then no more.
    const again = await call(
      tpp,
      `${bec}/v1/accounts/${current.resourceId}/transactions?bookingStatus=both&dateFrom=${dateFrom}`,
      { headers },
    );
    expect(again.status).toBe(200);
    const third = await call(
      tpp,
      `${bec}/v1/accounts/${current.resourceId}/transactions?bookingStatus=both&dateFrom=${dateFrom}`,
      { headers },
    );
    expect([third.status, codeOf(third)]).toEqual([429, 'ACCESS_EXCEEDED']);

    // A page token does not carry over to another query.
    const next = new URL(pages[0].body.transactions._links.next.href, 'https://x');
    next.searchParams.set('dateFrom', daysFrom(sandbox.clock.now(), -10));
    const forged = await call(tpp, `${bec}${next.pathname}${next.search}`, { headers });
    expect([forged.status, codeOf(forged)]).toEqual([400, 'FORMAT_ERROR']);

    const deleted = await call(tpp, `${bec}/v1/consents/${consentId}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await call(tpp, `${bec}/v1/consents/${consentId}`)).body.consentStatus).toBe('terminatedByTpp');
  });

  it('deny → TPP-Nok-Redirect-URI and the consent is rejected', async () => {
    const { consentId, scaRedirect } = await becCreateConsent(sandbox, tpp);
    const decided = await psuDecides(sandbox, scaRedirect, 'deny');
    expect([decided.status, decided.location]).toEqual([302, TPP_NOK_REDIRECT]);
    const status = await call(tpp, `${sandbox.banks.bec.baseUrl}/v1/consents/${consentId}/status`);
    expect(status.body.consentStatus).toBe('rejected');
  });

  it('an unknown PSU gets the page again with an error (400)', async () => {
    const { scaRedirect } = await becCreateConsent(sandbox, tpp);
    const b = browser(sandbox.serverCaPem);
    const res = await b.post(scaRedirect, { psu: 'nobody<x>', decision: 'approve' });
    await b.agent.close();
    expect(res.status).toBe(400);
    expect(res.text).toContain('nobody&lt;x&gt;');
    expect(res.text).toContain('<form method="post">');
  });

  it('payment RCVD → approve → ACTC → ACSC; RJCT for insufficient funds; funds confirmation', async () => {
    const bec = sandbox.banks.bec.baseUrl;
    // The PSUs' IBANs, as an AIS consent shows them.
    const metteConsent = await becValidConsent(sandbox, tpp, {}, 'bec-psu-1');
    const larsConsent = await becValidConsent(sandbox, tpp, {}, 'bec-psu-2');
    const ibanOf = async (consentId: string) =>
      (await call(tpp, `${bec}/v1/accounts`, { headers: { 'Consent-ID': consentId, 'PSU-IP-Address': PSU_IP } })).body
        .accounts[0].iban as string;
    const mette = await ibanOf(metteConsent);
    const lars = await ibanOf(larsConsent);

    const pay = (debtor: string, amount: string) =>
      call(tpp, `${bec}/v1/payments/sepa-credit-transfers`, {
        json: {
          instructedAmount: { currency: 'DKK', amount },
          debtorAccount: { iban: debtor },
          creditorAccount: { iban: 'DK5000400440116243' },
          creditorName: 'Jens Jensen',
        },
        headers: {
          'PSU-IP-Address': PSU_IP,
          'TPP-Redirect-URI': TPP_REDIRECT,
          'TPP-Nok-Redirect-URI': TPP_NOK_REDIRECT,
        },
      });

    const created = await pay(mette, '125.50');
    expect(created.status, created.text).toBe(201);
    expect(created.body.transactionStatus).toBe('RCVD');
    const paymentUrl = `${bec}/v1/payments/sepa-credit-transfers/${created.body.paymentId}`;
    const page = await psuDecides(sandbox, created.body._links.scaRedirect.href, 'approve', 'bec-psu-1');
    expect(page.page).toContain('125.50 DKK');
    expect(page.page).toContain('Jens Jensen');
    expect([page.status, page.location]).toEqual([302, TPP_REDIRECT]);
    expect((await call(tpp, `${paymentUrl}/status`)).body.transactionStatus).toBe('ACTC');
    await admin(sandbox.adminUrl, 'POST', '/admin/clock/advance', { ms: 2000 });
    expect((await call(tpp, `${paymentUrl}/status`)).body.transactionStatus).toBe('ACSC');
    const full = await call(tpp, paymentUrl);
    expect(full.body).toMatchObject({
      instructedAmount: { amount: '125.50', currency: 'DKK' },
      creditorName: 'Jens Jensen',
      transactionStatus: 'ACSC',
    });

    const tooMuch = await pay(lars, '10000.00');
    expect(tooMuch.status, tooMuch.text).toBe(201);
    const rejected = await psuDecides(sandbox, tooMuch.body._links.scaRedirect.href, 'approve', 'bec-psu-2');
    expect([rejected.status, rejected.location]).toEqual([302, TPP_NOK_REDIRECT]);
    expect(
      (await call(tpp, `${bec}/v1/payments/sepa-credit-transfers/${tooMuch.body.paymentId}/status`)).body
        .transactionStatus,
    ).toBe('RJCT');

    const funds = (iban: string, amount: string) =>
      call(tpp, `${bec}/v1/funds-confirmations`, {
        json: { account: { iban }, instructedAmount: { currency: 'DKK', amount } },
      });
    const yes = await funds(mette, '10.00');
    expect([yes.status, yes.body?.fundsAvailable], yes.text).toEqual([200, true]);
    const no = await funds(lars, '100000.00');
    expect([no.status, no.body?.fundsAvailable], no.text).toEqual([200, false]);
  });
});

describe('Enfuce', () => {
  const REDIRECT = 'https://tpp.example/oauth/callback';

  async function clientToken(base: string): Promise<string> {
    const res = await call(tpp, `${base}/v1/token`, {
      form: { grant_type: 'client_credentials', client_id: tpp.orgId },
      sign: null,
      requestId: null,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.token_type).toBe('Bearer');
    return res.body.access_token;
  }

  async function consentAndCode(bank: 'enfuce-rocker' | 'enfuce-st1', access: unknown) {
    const { baseUrl, apiKey } = sandbox.banks[bank];
    const token = await clientToken(baseUrl);
    const consent = await call(tpp, `${baseUrl}/consent/v1/consents`, {
      sign: 'enfuce',
      json: {
        access,
        recurringIndicator: true,
        validUntil: daysFrom(sandbox.clock.now(), 60),
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      },
      headers: { Authorization: `Bearer ${token}`, 'X-API-Key': apiKey!, 'PSU-IP-Address': PSU_IP },
    });
    expect(consent.status, consent.text).toBe(201);
    const consentId = consent.body.consentId as string;
    const pkce = pkcePair();
    const authorize = new URL(`${baseUrl}/v1/authorizations`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: tpp.orgId,
      scope: `AIS:${consentId}`,
      state: 'st-123',
      redirect_uri: REDIRECT,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    })) {
      authorize.searchParams.set(k, v);
    }
    const b = browser(sandbox.serverCaPem);
    const page = await b.get(authorize.toString());
    expect(page.status, page.text).toBe(200);
    const fields = formFields(page.text);
    expect(fields).toMatchObject({
      client_id: tpp.orgId,
      scope: `AIS:${consentId}`,
      state: 'st-123',
      redirect_uri: REDIRECT,
      code_challenge_method: 'S256',
    });
    const decided = await b.post(`${baseUrl}/v1/authorizations`, { ...fields, decision: 'approve' });
    await b.agent.close();
    expect(decided.status, decided.text).toBe(302);
    const location = new URL(String(decided.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('st-123');
    return { consentId, code: location.searchParams.get('code')!, pkce, baseUrl, page: page.text };
  }

  const redeem = (baseUrl: string, code: string, verifier: string) =>
    call(tpp, `${baseUrl}/v1/token`, {
      form: {
        grant_type: 'authorization_code',
        client_id: tpp.orgId,
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
      },
      sign: null,
      requestId: null,
    });

  it('Rocker: token → consent → authorise → PKCE → card accounts, balances, transactions; refresh rotation', async () => {
    const flow = await consentAndCode('enfuce-rocker', { allPsd2: 'allAccounts' });
    expect(flow.page).toContain('Rocker');
    expect(flow.page).toContain('Flow &lt;TPP&gt; &amp; Co');
    const tokens = await redeem(flow.baseUrl, flow.code, flow.pkce.verifier);
    expect(tokens.status, tokens.text).toBe(200);
    expect(tokens.headers['cache-control']).toBe('no-store');

    const headers = { Authorization: `Bearer ${tokens.body.access_token}`, 'Consent-ID': flow.consentId };
    const status = await call(tpp, `${flow.baseUrl}/consent/v1/consents/${flow.consentId}/status`, {
      sign: 'enfuce',
      headers: { Authorization: `Bearer ${await clientToken(flow.baseUrl)}` },
    });
    expect([status.status, status.body.consentStatus], status.text).toEqual([200, 'valid']);
    const list = await call(tpp, `${flow.baseUrl}/card-account/v1/card-accounts`, { sign: 'enfuce', headers });
    expect(list.status, list.text).toBe(200);
    const card = list.body.cardAccounts[0];
    expect(card.maskedPan).toBe('5243 78** **** 8693');
    expect(card.currency).toBe('SEK');
    const one = await call(tpp, `${flow.baseUrl}/card-account/v1/card-accounts/${card.resourceId}`, {
      sign: 'enfuce',
      headers,
    });
    expect(one.body.cardAccount.resourceId).toBe(card.resourceId);
    const balances = await call(tpp, `${flow.baseUrl}/card-account/v1/card-accounts/${card.resourceId}/balances`, {
      sign: 'enfuce',
      headers,
    });
    expect(balances.body.balances.map((b: { balanceType: string }) => b.balanceType)).toEqual(
      expect.arrayContaining(['interimAvailable', 'interimBooked']),
    );
    const pages = await allPages(
      flow.baseUrl,
      `/card-account/v1/card-accounts/${card.resourceId}/transactions?bookingStatus=both&dateFrom=${daysFrom(sandbox.clock.now(), -120)}`,
      {
        headers,
        sign: 'enfuce',
      },
    );
    expect(pages.length).toBeGreaterThan(1);
    expect(pages[0].body.cardAccount.maskedPan).toBe(card.maskedPan);
    expect(pages[0].body.cardTransactions.booked[0].cardTransactionId).toBeTruthy();

    // A client-credentials token does not read card data, and a PSU token only its own consent.
    const clientOnly = await call(tpp, `${flow.baseUrl}/card-account/v1/card-accounts`, {
      sign: 'enfuce',
      headers: { Authorization: `Bearer ${await clientToken(flow.baseUrl)}`, 'Consent-ID': flow.consentId },
    });
    expect([clientOnly.status, codeOf(clientOnly)]).toEqual([401, 'TOKEN_INVALID']);

    const refreshed = await call(tpp, `${flow.baseUrl}/v1/token`, {
      form: { grant_type: 'refresh_token', client_id: tpp.orgId, refresh_token: tokens.body.refresh_token },
      sign: null,
      requestId: null,
    });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(tokens.body.refresh_token);
    const old = await call(tpp, `${flow.baseUrl}/v1/token`, {
      form: { grant_type: 'refresh_token', client_id: tpp.orgId, refresh_token: tokens.body.refresh_token },
      sign: null,
      requestId: null,
    });
    expect([old.status, old.body.error]).toEqual([400, 'invalid_grant']);
    const withNew = await call(tpp, `${flow.baseUrl}/card-account/v1/card-accounts`, {
      sign: 'enfuce',
      headers: { ...headers, Authorization: `Bearer ${refreshed.body.access_token}`, 'PSU-IP-Address': PSU_IP },
    });
    expect(withNew.status).toBe(200);

    // A code works once (and, per RFC 6749 4.1.2, replaying it may revoke what it gave: so last).
    const reused = await redeem(flow.baseUrl, flow.code, flow.pkce.verifier);
    expect([reused.status, reused.body.error]).toEqual([400, 'invalid_grant']);

    // The token endpoint's secrets never reach the request log.
    const logged = JSON.stringify(sandbox.requestLog('enfuce-rocker'));
    expect(logged).not.toContain(tokens.body.refresh_token);
    expect(logged).not.toContain(tokens.body.access_token);
    expect(logged).not.toContain(flow.pkce.verifier);
  });

  it('ST1: wrong PKCE verifier → invalid_grant; a short access token TTL → 401 TOKEN_EXPIRED', async () => {
    const settings = await admin(sandbox.adminUrl, 'PUT', '/admin/banks/enfuce-st1/settings', {
      accessTokenTtlMs: 1000,
    });
    expect(settings.status).toBe(200);
    try {
      const wrong = await consentAndCode('enfuce-st1', { accounts: [], balances: [], transactions: [] });
      const refused = await redeem(wrong.baseUrl, wrong.code, pkcePair().verifier);
      expect([refused.status, refused.body.error]).toEqual([400, 'invalid_grant']);

      const flow = await consentAndCode('enfuce-st1', { allPsd2: 'allAccounts' });
      const tokens = await redeem(flow.baseUrl, flow.code, flow.pkce.verifier);
      expect(tokens.status, tokens.text).toBe(200);
      const headers = {
        Authorization: `Bearer ${tokens.body.access_token}`,
        'Consent-ID': flow.consentId,
        'PSU-IP-Address': PSU_IP,
      };
      const ok = await call(tpp, `${flow.baseUrl}/card-account/v1/card-accounts`, { sign: 'enfuce', headers });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.body.cardAccounts[0].maskedPan).toBe('5243 66** **** 8694');
      await sleep(1100);
      const expired = await call(tpp, `${flow.baseUrl}/card-account/v1/card-accounts`, { sign: 'enfuce', headers });
      expect([expired.status, codeOf(expired)]).toEqual([401, 'TOKEN_EXPIRED']);
    } finally {
      await admin(sandbox.adminUrl, 'PUT', '/admin/banks/enfuce-st1/settings', { accessTokenTtlMs: 3_600_000 });
    }
  });

  it('consent creation wants the X-API-Key and a client token', async () => {
    const { baseUrl } = sandbox.banks['enfuce-rocker'];
    const token = await clientToken(baseUrl);
    const body = {
      access: { allPsd2: 'allAccounts' },
      recurringIndicator: true,
      validUntil: daysFrom(sandbox.clock.now(), 30),
      frequencyPerDay: 4,
      combinedServiceIndicator: false,
    };
    const noKey = await call(tpp, `${baseUrl}/consent/v1/consents`, {
      sign: 'enfuce',
      json: body,
      headers: { Authorization: `Bearer ${token}`, 'PSU-IP-Address': PSU_IP },
    });
    expect([noKey.status, codeOf(noKey)]).toEqual([401, 'TOKEN_INVALID']);
    const noToken = await call(tpp, `${baseUrl}/consent/v1/consents`, {
      sign: 'enfuce',
      json: body,
      headers: { 'X-API-Key': 'sandbox-enfuce-rocker-key', 'PSU-IP-Address': PSU_IP },
    });
    expect([noToken.status, codeOf(noToken)]).toEqual([401, 'TOKEN_INVALID']);
    const wrongClient = await call(tpp, `${baseUrl}/v1/token`, {
      form: { grant_type: 'client_credentials', client_id: 'PSDDK-DFSA-00000000' },
      sign: null,
      requestId: null,
    });
    expect([wrongClient.status, wrongClient.body.error]).toEqual([401, 'invalid_client']);
  });
});

describe('admin API', () => {
  it('lists the banks, moves the clock and reports stats', async () => {
    const banks = await admin(sandbox.adminUrl, 'GET', '/admin/banks');
    expect(banks.body.map((b: { id: string }) => b.id)).toEqual(['bec', 'enfuce-rocker', 'enfuce-st1']);
    expect(banks.body[0].baseUrl).toBe(sandbox.banks.bec.baseUrl);
    const before = (await admin(sandbox.adminUrl, 'GET', '/admin/clock')).body.now;
    const after = (await admin(sandbox.adminUrl, 'POST', '/admin/clock/advance', { days: 1 })).body.now;
    expect(Date.parse(after) - Date.parse(before)).toBeGreaterThanOrEqual(86_400_000);
    await admin(sandbox.adminUrl, 'POST', '/admin/clock/set', { now: before });
    const stats = await admin(sandbox.adminUrl, 'GET', '/admin/banks/bec/stats');
    expect(stats.body.total).toBeGreaterThan(0);
    const log = await admin(sandbox.adminUrl, 'GET', '/admin/banks/bec/requests?since=0');
    expect(log.body[0]).toMatchObject({ bank: 'bec', method: expect.any(String), path: expect.any(String) });
    expect((await admin(sandbox.adminUrl, 'PUT', '/admin/banks/bec/faults', { errorRate: 2 })).status).toBe(400);
    expect((await admin(sandbox.adminUrl, 'GET', '/admin/banks/nope/stats')).status).toBe(404);
  });
});
