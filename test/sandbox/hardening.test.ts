import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxBanks, type SandboxBanks } from '../../sandbox';
import { callbackQuery, psuDecides } from '../../sandbox/psu-driver';
import { generateSandboxCertificates } from '../../xs2a/certs';
import { testLogger } from '../helpers/logger';
import { becCreateConsent, becEnrol } from './flows';
import { PSU_IP, admin, browser, call, codeOf, daysFrom, formFields, makeTpp, pkcePair, type TestTpp } from './helpers';

/** Review findings on the sandbox banks, each pinned by the request that used to go wrong. */

let sandbox: SandboxBanks;
let tpp: TestTpp;
const REDIRECT = 'https://tpp.example/oauth/callback';

beforeAll(async () => {
  const tppCa = generateSandboxCertificates().ca;
  sandbox = await startSandboxBanks({ tppCa, logger: testLogger() });
  tpp = makeTpp(sandbox.serverCaPem, { ca: tppCa, organizationName: 'Hardening TPP' });
});

afterAll(async () => {
  await tpp?.agent.close();
  await sandbox?.stop();
});

async function clientToken(baseUrl: string): Promise<string> {
  const res = await call(tpp, `${baseUrl}/v1/token`, {
    form: { grant_type: 'client_credentials', client_id: tpp.orgId },
    sign: null,
    requestId: null,
  });
  expect(res.status, res.text).toBe(200);
  return res.body.access_token;
}

/** A received Enfuce consent and the authorisation URL a TPP would send the PSU to. */
async function enfuceConsent(bank: 'enfuce-rocker' | 'enfuce-st1', params: Record<string, string> = {}) {
  const { baseUrl, apiKey } = sandbox.banks[bank];
  const consent = await call(tpp, `${baseUrl}/consent/v1/consents`, {
    sign: 'enfuce',
    json: {
      access: { allPsd2: 'allAccounts' },
      recurringIndicator: true,
      validUntil: daysFrom(sandbox.clock.now(), 30),
      frequencyPerDay: 4,
      combinedServiceIndicator: false,
    },
    headers: { Authorization: `Bearer ${await clientToken(baseUrl)}`, 'X-API-Key': apiKey!, 'PSU-IP-Address': PSU_IP },
  });
  expect(consent.status, consent.text).toBe(201);
  const consentId = consent.body.consentId as string;
  const authorize = new URL(`${baseUrl}/v1/authorizations`);
  const query = {
    response_type: 'code',
    client_id: tpp.orgId,
    scope: `AIS:${consentId}`,
    state: 'st-1',
    redirect_uri: REDIRECT,
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...params,
  };
  for (const [k, v] of Object.entries(query)) authorize.searchParams.set(k, v);
  return { consentId, baseUrl, authorize: authorize.toString(), query };
}

describe('Enfuce authorisation page', () => {
  it('a code_challenge that is not exactly 43 characters is refused before the consent is decided', async () => {
    const longChallenge = `${pkcePair().challenge}A`;
    const { consentId, baseUrl, authorize, query } = await enfuceConsent('enfuce-rocker', {
      code_challenge: longChallenge,
    });
    const b = browser(sandbox.serverCaPem);
    try {
      const page = await b.get(authorize);
      expect(page.status).toBe(400);
      expect(page.text).toContain('code_challenge');
      const posted = await b.post(`${baseUrl}/v1/authorizations`, {
        ...query,
        psu: 'rocker-psu-1',
        decision: 'approve',
      });
      expect(posted.status).toBe(400);
      expect(posted.headers.location).toBeUndefined();
    } finally {
      await b.agent.close();
    }
    // Still awaiting the PSU: not approved without a code to show for it.
    expect(sandbox.banks['enfuce-rocker'].state.getConsent(consentId)?.status).toBe('received');
  });

  it('a 43-character challenge still gets the page and a code', async () => {
    const { authorize, baseUrl } = await enfuceConsent('enfuce-rocker');
    const b = browser(sandbox.serverCaPem);
    try {
      const page = await b.get(authorize);
      expect(page.status, page.text).toBe(200);
      const decided = await b.post(`${baseUrl}/v1/authorizations`, { ...formFields(page.text), decision: 'approve' });
      expect(decided.status, decided.text).toBe(302);
      expect(new URL(String(decided.headers.location)).searchParams.get('code')).toBeTruthy();
    } finally {
      await b.agent.close();
    }
  });
});

describe('request log', () => {
  it('keeps token-endpoint secrets out of the log whatever the Content-Type, and out of the logged query', async () => {
    const { baseUrl } = sandbox.banks['enfuce-st1'];
    const secret = `${pkcePair().verifier}-leak`;
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: tpp.orgId,
      refresh_token: secret,
    }).toString();
    const asText = await call(tpp, `${baseUrl}/v1/token`, {
      rawBody: form,
      headers: { 'content-type': 'text/plain' },
      sign: null,
      requestId: null,
    });
    expect([asText.status, asText.body.error]).toEqual([400, 'invalid_request']);
    const asJson = await call(tpp, `${baseUrl}/v1/token`, {
      json: { grant_type: 'authorization_code', code: secret },
      sign: null,
      requestId: null,
    });
    expect(asJson.status).toBe(400);
    const inQuery = await call(tpp, `${baseUrl}/v1/token?code=${secret}&code_verifier=${secret}`, {
      form: { grant_type: 'client_credentials', client_id: tpp.orgId },
      sign: null,
      requestId: null,
    });
    expect(inQuery.status).toBe(200);
    const entries = sandbox.requestLog('enfuce-st1').filter((e) => e.path === '/v1/token');
    expect(entries.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(entries)).not.toContain(secret);
    expect(entries.at(-1)!.query).toMatchObject({ code: '[redacted]', code_verifier: '[redacted]' });
  });
});

describe('admin clock', () => {
  it('a move outside the valid Date range is 400 and leaves the clock working', async () => {
    const before = Date.parse((await admin(sandbox.adminUrl, 'GET', '/admin/clock')).body.now);
    const tooFar = await admin(sandbox.adminUrl, 'POST', '/admin/clock/advance', { days: 1e8 });
    expect(tooFar.status).toBe(400);
    expect(tooFar.body.error).toMatch(/valid date range/);
    expect((await admin(sandbox.adminUrl, 'POST', '/admin/clock/advance', { ms: -9e15 })).status).toBe(400);
    const after = await admin(sandbox.adminUrl, 'GET', '/admin/clock');
    expect(after.status).toBe(200);
    expect(Math.abs(Date.parse(after.body.now) - before)).toBeLessThan(5000);
  });
});

describe('consent validUntil (capped once, by BankState)', () => {
  it('BEC shortens 9999-12-31 to 180 days, Enfuce to 90, and both answer with the stored date; a past date is 400', async () => {
    await becEnrol(sandbox, tpp);
    const today = sandbox.clock.now();
    const bec = await becCreateConsent(sandbox, tpp, { validUntil: '9999-12-31' });
    const becRead = await call(tpp, `${sandbox.banks.bec.baseUrl}/v1/consents/${bec.consentId}`);
    expect(becRead.body.validUntil).toBe(daysFrom(today, 180));
    expect(sandbox.banks.bec.state.getConsent(bec.consentId)?.validUntil).toBe(daysFrom(today, 180));

    const { baseUrl, apiKey } = sandbox.banks['enfuce-st1'];
    const token = await clientToken(baseUrl);
    const create = (validUntil: string) =>
      call(tpp, `${baseUrl}/consent/v1/consents`, {
        sign: 'enfuce',
        json: {
          access: { allPsd2: 'allAccounts' },
          recurringIndicator: true,
          validUntil,
          frequencyPerDay: 4,
          combinedServiceIndicator: false,
        },
        headers: { Authorization: `Bearer ${token}`, 'X-API-Key': apiKey!, 'PSU-IP-Address': PSU_IP },
      });
    const enfuce = await create('9999-12-31');
    expect(enfuce.status, enfuce.text).toBe(201);
    const enfuceRead = await call(tpp, `${baseUrl}/consent/v1/consents/${enfuce.body.consentId}`, {
      sign: 'enfuce',
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(enfuceRead.body.validUntil).toBe(daysFrom(today, 90));
    const shorter = await create(daysFrom(today, 10));
    expect(sandbox.banks['enfuce-st1'].state.getConsent(shorter.body.consentId)?.validUntil).toBe(daysFrom(today, 10));

    const past = await create(daysFrom(today, -1));
    expect([past.status, codeOf(past), past.body.tppMessages[0].path]).toEqual([400, 'FORMAT_ERROR', 'validUntil']);
  });
});

describe('admin settings', () => {
  it('BankState validates the patch: 400 FORMAT_ERROR naming the setting, nothing applied; an unknown consent to revoke is 404', async () => {
    const url = '/admin/banks/enfuce-rocker/settings';
    const before = (await admin(sandbox.adminUrl, 'GET', '/admin/banks')).body[1].settings;
    for (const patch of [
      { transactionsPageSize: 2.5 },
      { nope: true },
      { pendingToBooked: 'later' },
      { accessTokenTtlMs: -1 },
      { enforceFrequencyPerDay: 'yes' },
    ]) {
      const res = await admin(sandbox.adminUrl, 'PUT', url, patch);
      expect([res.status, res.body.code], JSON.stringify(patch)).toEqual([400, 'FORMAT_ERROR']);
      expect(res.body.error).toContain(Object.keys(patch)[0]);
    }
    expect((await admin(sandbox.adminUrl, 'GET', '/admin/banks')).body[1].settings).toEqual(before);
    const ok = await admin(sandbox.adminUrl, 'PUT', url, { transactionsPageSize: 7 });
    expect([ok.status, ok.body.transactionsPageSize]).toEqual([200, 7]);
    await admin(sandbox.adminUrl, 'PUT', url, { transactionsPageSize: before.transactionsPageSize });
    const unknown = await admin(
      sandbox.adminUrl,
      'POST',
      '/admin/banks/bec/consents/00000000-0000-0000-0000-000000000000/revoke',
    );
    expect(unknown.status).toBe(404);
  });
});

describe('admin paths', () => {
  it('a path that is not valid percent-encoding is 400, not 500', async () => {
    const res = await admin(sandbox.adminUrl, 'GET', '/admin/banks/%E0%A4%A/stats');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/percent-encoding/);
  });
});

describe('psu-driver', () => {
  it('submits hidden fields exactly as the page holds them: an escaped "&lt;" stays "&lt;"', async () => {
    const state = 'st&lt;1&amp;"2"<3>';
    const { authorize } = await enfuceConsent('enfuce-rocker', { state });
    const decided = await psuDecides(authorize, sandbox.serverCaPem, 'approve', 'rocker-psu-1');
    const query = callbackQuery(decided.location);
    expect(query.state).toBe(state);
    expect(query.code).toBeTruthy();
  });
});
