import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxBanks, type SandboxBanks } from '../../../sandbox';
import {
  BankState,
  SnapshotFormatError,
  createDebouncedSaver,
  createSandboxClock,
  parseBankStateSnapshot,
  parseSandboxStateFile,
  type BankStateSnapshot,
  type SandboxClock,
} from '../../../sandbox/state';
import { generateSandboxCertificates } from '../../../xs2a/certs';
import type { PemPair } from '../../../xs2a/certs/types';
import { createLogger } from '../../../logging/logger';
import {
  PSU_IP,
  TPP_NOK_REDIRECT,
  TPP_REDIRECT,
  browser,
  call,
  codeOf,
  formFields,
  makeTpp,
  pkcePair,
  type TestTpp,
} from '../helpers';
import { becEnrol, becValidConsent } from '../flows';
import { DAY_MS, START, approvedConsent, frozenClock, makeBank } from './fixtures';

/** What a restart does to a bank: its snapshot goes through JSON (as on disk) into a new instance. */
function restart(state: BankState, clock: SandboxClock): BankState {
  const onDisk = JSON.parse(JSON.stringify(state.snapshot())) as unknown;
  return BankState.fromSnapshot(parseBankStateSnapshot(onDisk), { clock });
}

const REDIRECT = 'https://tpp.example/oauth/callback';
const CLIENT = 'PSDDK-DFSA-12345678';

describe('BankState snapshot and restore', () => {
  it('keeps an approved consent, its tokens and an unredeemed code; refresh tokens still rotate', () => {
    const { state, clock } = makeBank('enfuce-rocker');
    const consentId = approvedConsent(state, { tppOrgId: CLIENT, frequencyPerDay: 2 });
    const clientToken = state.issueClientToken(CLIENT).access_token;
    const first = pkcePair();
    const code = state.issueAuthorisationCode({
      clientId: CLIENT,
      consentId,
      psuId: 'rocker-psu-1',
      redirectUri: REDIRECT,
      codeChallenge: first.challenge,
      codeChallengeMethod: 'S256',
    });
    const tokens = state.redeemAuthorisationCode({
      clientId: CLIENT,
      code,
      codeVerifier: first.verifier,
      redirectUri: REDIRECT,
    });
    const second = pkcePair();
    const pendingCode = state.issueAuthorisationCode({
      clientId: CLIENT,
      consentId,
      psuId: 'rocker-psu-1',
      redirectUri: REDIRECT,
      codeChallenge: second.challenge,
      codeChallengeMethod: 'S256',
    });
    const accountsBefore = state.accounts(consentId);

    // The snapshot carries hashes only: none of the secrets the TPP holds.
    const json = JSON.stringify(state.snapshot());
    for (const secret of [clientToken, tokens.access_token, tokens.refresh_token!, code, pendingCode])
      expect(json).not.toContain(secret);

    const after = restart(state, clock);
    expect(after.getConsent(consentId)).toEqual(state.getConsent(consentId));
    expect(after.accounts(consentId)).toEqual(accountsBefore);
    expect(after.inspectAccessToken(tokens.access_token)).toEqual(state.inspectAccessToken(tokens.access_token));
    expect(after.inspectAccessToken(tokens.access_token)).toMatchObject({
      kind: 'psu',
      consentId,
      psuId: 'rocker-psu-1',
    });
    expect(after.inspectAccessToken(clientToken)).toMatchObject({ kind: 'client', clientId: CLIENT });

    const rotated = after.refreshTokens({ clientId: CLIENT, refreshToken: tokens.refresh_token! });
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect(() => after.refreshTokens({ clientId: CLIENT, refreshToken: tokens.refresh_token! })).toThrow(
      expect.objectContaining({ code: 'invalid_grant' }),
    );
    expect(after.inspectAccessToken(rotated.access_token)).toMatchObject({ kind: 'psu', consentId });

    // The code issued before the restart is redeemed once after it; the spent first code stays spent.
    const late = after.redeemAuthorisationCode({
      clientId: CLIENT,
      code: pendingCode,
      codeVerifier: second.verifier,
      redirectUri: REDIRECT,
    });
    expect(after.inspectAccessToken(late.access_token)).toMatchObject({ kind: 'psu', consentId });
    expect(() =>
      after.redeemAuthorisationCode({ clientId: CLIENT, code, codeVerifier: first.verifier, redirectUri: REDIRECT }),
    ).toThrow(expect.objectContaining({ code: 'invalid_grant' }));

    // Control: a bank that did not restore knows none of it.
    const fresh = makeBank('enfuce-rocker').state;
    expect(fresh.getConsent(consentId)).toBeUndefined();
    expect(fresh.inspectAccessToken(tokens.access_token)).toEqual({ error: 'TOKEN_INVALID' });
  });

  it('keeps expiry: an access token issued before the restart still expires on time', () => {
    const { state, clock } = makeBank('enfuce-st1', { settings: { accessTokenTtlMs: 60_000 } });
    const token = state.issueClientToken(CLIENT).access_token;
    const after = restart(state, clock);
    expect(after.settings.accessTokenTtlMs).toBe(60_000);
    expect(after.inspectAccessToken(token)).toMatchObject({ kind: 'client' });
    clock.advance(60_000);
    expect(after.inspectAccessToken(token)).toEqual({ error: 'TOKEN_EXPIRED' });
  });

  it('keeps frequency counters within the day; the next day starts from zero', () => {
    const { state, clock } = makeBank('bec');
    const consentId = approvedConsent(state, { frequencyPerDay: 2 });
    expect(state.countAccess(consentId, 'accounts', false)).toEqual({ allowed: true, used: 1 });
    expect(state.countAccess(consentId, 'accounts', false)).toEqual({ allowed: true, used: 2 });
    expect(state.countAccess(consentId, 'balances', false)).toEqual({ allowed: true, used: 1 });
    const after = restart(state, clock);
    expect(after.countAccess(consentId, 'accounts', false)).toEqual({ allowed: false, used: 2 });
    expect(after.countAccess(consentId, 'balances', false)).toEqual({ allowed: true, used: 2 });
    clock.advance(DAY_MS);
    expect(after.countAccess(consentId, 'accounts', false)).toEqual({ allowed: true, used: 1 });
  });

  it('keeps payments (status, reason, the booking in the ledger), enrolments and settings; same ids', () => {
    // A clock that stands still, so balances' lastChangeDateTime compares equal.
    const clock = frozenClock(START);
    const { state } = makeBank('bec', { clock });
    const consentId = approvedConsent(state);
    state.updateSettings({ pendingToBooked: 'new-id', transactionsPageSize: 7 });
    const [account] = state.accounts(consentId);
    const payment = (amount: string) =>
      state.createPayment({
        product: 'sepa-credit-transfers',
        debtorIban: account.iban!,
        amount,
        currency: 'DKK',
        creditorName: 'Vognmand Jensen ApS',
        redirectUri: 'https://tpp.example/ok',
        nokRedirectUri: 'https://tpp.example/nok',
      });
    const paid = payment('321.09');
    state.decidePayment(paid.paymentId, 'bec-psu-1', 'approve');
    const denied = payment('5.00');
    state.decidePayment(denied.paymentId, 'bec-psu-1', 'deny');
    const waiting = payment('6.00');
    const enrolled = state.enrolCertificate({ tppOrgId: CLIENT, certificateDerBase64: 'MIIBAAAA', serialNumber: '0a' });
    const query = { bookingStatus: 'both', dateFrom: '2026-03-01' } as const;
    const balancesBefore = state.balances(consentId, account.resourceId);
    const transactionsBefore = state.transactions(consentId, account.resourceId, query);
    expect(transactionsBefore.some((t) => t.transactionId === `PMT${paid.paymentId.replace(/-/g, '')}`)).toBe(true);

    const after = restart(state, clock);
    expect(after.settings).toEqual(state.settings);
    expect(after.balances(consentId, account.resourceId)).toEqual(balancesBefore);
    expect(after.transactions(consentId, account.resourceId, query)).toEqual(transactionsBefore);
    expect(after.getPayment(paid.paymentId)).toEqual(state.getPayment(paid.paymentId));
    expect(after.getPayment(denied.paymentId)).toMatchObject({
      status: 'RJCT',
      statusReason: 'the PSU cancelled the authorisation',
    });
    expect(after.getPayment(waiting.paymentId)).toMatchObject({ status: 'RCVD' });
    // ACTC still turns ACSC a second after the PSU's approval, on the restored clock.
    clock.advance(1000);
    expect(after.getPayment(paid.paymentId)!.status).toBe('ACSC');
    expect(after.decidePayment(waiting.paymentId, 'bec-psu-1', 'approve').status).toBe('ACTC');
    expect(after.isEnrolled('MIIBAAAA')).toBe(true);
    expect(after.enrolCertificate({ tppOrgId: CLIENT, certificateDerBase64: 'MIIBAAAA', serialNumber: '0a' })).toEqual(
      enrolled,
    );
  });

  it('tells listeners about changes that a restart must keep', () => {
    const { state } = makeBank('bec');
    let changes = 0;
    const off = state.onChange(() => changes++);
    const consentId = approvedConsent(state);
    expect(changes).toBe(2);
    state.countAccess(consentId, 'accounts', true);
    expect(changes).toBe(2);
    state.countAccess(consentId, 'accounts', false);
    expect(changes).toBe(3);
    off();
    state.revokeConsent(consentId, 'tpp');
    expect(changes).toBe(3);
  });

  it('refuses a snapshot of another version, bank or seed, and a malformed one, leaving the bank as it was', () => {
    const { state } = makeBank('bec');
    const consentId = approvedConsent(state);
    const snapshot = JSON.parse(JSON.stringify(state.snapshot())) as BankStateSnapshot;
    expect(() => parseBankStateSnapshot({ ...snapshot, version: 2 })).toThrow(SnapshotFormatError);
    expect(() =>
      parseBankStateSnapshot({ ...snapshot, consents: [{ ...snapshot.consents[0], status: 'approved' }] }),
    ).toThrow(/consents\.0\.status/);
    const other = makeBank('bec', { seed: 'another-seed' }).state;
    expect(() => other.restore(snapshot)).toThrow(SnapshotFormatError);
    expect(() => makeBank('enfuce-st1').state.restore(snapshot)).toThrow(/bank bec/);
    const target = makeBank('bec').state;
    const mine = approvedConsent(target);
    expect(() => target.restore({ ...snapshot, seed: 'x' })).toThrow(SnapshotFormatError);
    expect(target.getConsent(mine)?.status).toBe('valid');
    expect(target.getConsent(consentId)).toBeUndefined();
  });
});

describe('sandbox clock offset', () => {
  it('is read and restored, so an advanced clock stays advanced', () => {
    const clock = createSandboxClock(START);
    clock.advance(5 * DAY_MS);
    const restarted = createSandboxClock();
    restarted.setOffset(clock.offsetMs());
    expect(Math.abs(restarted.now().getTime() - (START.getTime() + 5 * DAY_MS))).toBeLessThan(1000);
    expect(Math.abs(restarted.now().getTime() - clock.now().getTime())).toBeLessThan(50);
    expect(() => restarted.setOffset(Number.NaN)).toThrow(RangeError);
  });
});

describe('debounced saver', () => {
  it('coalesces changes into one save after the delay; flush saves at once only when something changed', async () => {
    let saves = 0;
    const saver = createDebouncedSaver(() => saves++, { delayMs: 50, onError: () => undefined });
    saver.schedule();
    saver.schedule();
    saver.schedule();
    expect(saves).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(saves).toBe(1);
    saver.flush();
    expect(saves).toBe(1);
    saver.schedule();
    saver.flush();
    expect(saves).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(saves).toBe(2);
  });

  it('keeps a failed save pending and reports it', () => {
    const errors: unknown[] = [];
    let fail = true;
    let saves = 0;
    const saver = createDebouncedSaver(
      () => {
        if (fail) throw new Error('disk full');
        saves++;
      },
      { delayMs: 10_000, onError: (err) => errors.push(err) },
    );
    saver.schedule();
    saver.flush();
    expect(errors).toHaveLength(1);
    fail = false;
    saver.flush();
    expect(saves).toBe(1);
  });
});

describe('startSandboxBanks with statePath', () => {
  let dir: string;
  let tppCa: PemPair;
  let tpp: TestTpp;
  let sandbox: SandboxBanks | undefined;
  const warnings: string[] = [];
  const logger = createLogger({ level: 'warn', name: 'persistence-test' });
  // Capture warnings without printing them.
  (logger as unknown as { warn: (details: unknown, message: string) => void }).warn = (details, message) => {
    warnings.push(`${message} ${JSON.stringify(details)}`);
  };

  const start = (statePath: string) => startSandboxBanks({ tppCa, logger, statePath });

  /** The banks' TLS CA is new on every start: the same TPP certificates with a fresh agent. */
  function sameTppFor(banks: SandboxBanks): TestTpp {
    return {
      ...tpp,
      agent: new Agent({
        connect: { ca: banks.serverCaPem, cert: tpp.certs.qwac.certificatePem, key: tpp.certs.qwac.privateKeyPem },
        keepAliveTimeout: 1000,
      }),
    };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
    tppCa = generateSandboxCertificates({ organizationName: 'Persistence TPP CA owner' }).ca;
  });

  afterAll(async () => {
    await sandbox?.stop();
    await tpp?.agent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a stop and a start keep BEC and Enfuce consents, tokens, payments and the clock (mode 0600 file)', async () => {
    const statePath = join(dir, 'var', 'sandbox-state.json');
    sandbox = await start(statePath);
    tpp = makeTpp(sandbox.serverCaPem, { ca: tppCa, organizationName: 'Persistence TPP' });

    // BEC: enrolment, an approved consent, one unattended read, a payment awaiting the PSU.
    await becEnrol(sandbox, tpp);
    const becConsent = await becValidConsent(sandbox, tpp);
    const bec = sandbox.banks.bec.baseUrl;
    const listBefore = await call(tpp, `${bec}/v1/accounts`, { headers: { 'Consent-ID': becConsent } });
    expect(listBefore.status, listBefore.text).toBe(200);
    const payment = await call(tpp, `${bec}/v1/payments/sepa-credit-transfers`, {
      json: {
        instructedAmount: { currency: 'DKK', amount: '12.34' },
        debtorAccount: { iban: 'DK8004004012345678' },
        creditorAccount: { iban: 'DK5000400440116243' },
        creditorName: 'Jens Jensen',
      },
      headers: { 'PSU-IP-Address': PSU_IP, 'TPP-Redirect-URI': TPP_REDIRECT, 'TPP-Nok-Redirect-URI': TPP_NOK_REDIRECT },
    });
    expect(payment.status, payment.text).toBe(201);

    // Rocker: a consent authorised through the card issuer's page, tokens from the code.
    const rocker = sandbox.banks['enfuce-rocker'];
    const tokens = await enfuceTokens(sandbox, tpp);

    // The clock moved on (less than the tokens' hour): it must stay moved.
    sandbox.clock.advance(30 * 60_000);
    const clockBefore = sandbox.clock.now().getTime();
    await sandbox.stop();
    sandbox = undefined;

    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    const file = parseSandboxStateFile(readFileSync(statePath, 'utf8'));
    expect(file.banks.bec?.state.consents.map((c) => c.consentId)).toContain(becConsent);
    const text = readFileSync(statePath, 'utf8');
    for (const secret of [tokens.access_token, tokens.refresh_token]) expect(text).not.toContain(secret);
    expect(readdirSync(join(dir, 'var'))).toEqual(['sandbox-state.json']);

    sandbox = await start(statePath);
    await tpp.agent.close();
    tpp = sameTppFor(sandbox);
    expect(Math.abs(sandbox.clock.now().getTime() - clockBefore)).toBeLessThan(5000);

    // BEC: still enrolled (a signed call is accepted), the consent valid with the same accounts.
    const becAfter = sandbox.banks.bec.baseUrl;
    const status = await call(tpp, `${becAfter}/v1/consents/${becConsent}/status`);
    expect([status.status, status.body?.consentStatus], status.text).toEqual([200, 'valid']);
    const listAfter = await call(tpp, `${becAfter}/v1/accounts`, { headers: { 'Consent-ID': becConsent } });
    expect(listAfter.status, listAfter.text).toBe(200);
    expect(listAfter.body.accounts).toEqual(listBefore.body.accounts);
    // The payment is still this TPP's (the HTTP layer's owner map came back too).
    const paymentStatus = await call(
      tpp,
      `${becAfter}/v1/payments/sepa-credit-transfers/${payment.body.paymentId}/status`,
    );
    expect([paymentStatus.status, paymentStatus.body?.transactionStatus], paymentStatus.text).toEqual([200, 'RCVD']);

    // Rocker: the PSU token reads card accounts; the refresh token rotates once.
    const rockerAfter = sandbox.banks['enfuce-rocker'].baseUrl;
    expect(rockerAfter).not.toBe(rocker.baseUrl);
    const cards = await call(tpp, `${rockerAfter}/card-account/v1/card-accounts`, {
      sign: 'enfuce',
      headers: {
        Authorization: `Bearer ${tokens.access_token}`,
        'Consent-ID': tokens.consentId,
        'PSU-IP-Address': PSU_IP,
      },
    });
    expect(cards.status, cards.text).toBe(200);
    const refresh = (refreshToken: string) =>
      call(tpp, `${rockerAfter}/v1/token`, {
        form: { grant_type: 'refresh_token', client_id: tpp.orgId, refresh_token: refreshToken },
        sign: null,
        requestId: null,
      });
    const rotated = await refresh(tokens.refresh_token);
    expect(rotated.status, rotated.text).toBe(200);
    const replayed = await refresh(tokens.refresh_token);
    expect([replayed.status, replayed.body?.error]).toEqual([400, 'invalid_grant']);

    // A change is saved within ~2 s without a stop (what a kill -9 would leave behind).
    const savedAt = parseSandboxStateFile(readFileSync(statePath, 'utf8')).savedAt;
    const revoked = await call(tpp, `${becAfter}/v1/consents/${becConsent}`, { method: 'DELETE' });
    expect(revoked.status, revoked.text).toBe(204);
    const deadline = Date.now() + 4000;
    let onDisk = parseSandboxStateFile(readFileSync(statePath, 'utf8'));
    while (onDisk.savedAt === savedAt && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      onDisk = parseSandboxStateFile(readFileSync(statePath, 'utf8'));
    }
    expect(onDisk.banks.bec?.state.consents.find((c) => c.consentId === becConsent)?.status).toBe('terminatedByTpp');
    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    expect(warnings).toEqual([]);
  }, 60_000);

  it('a corrupt or version-mismatched file is moved aside and the banks start empty', async () => {
    for (const [name, content] of [
      ['garbage', '{"version": 1, "banks": {'],
      ['future', JSON.stringify({ version: 99, savedAt: 'x', clockOffsetMs: 0, banks: {} })],
      [
        'bad-bank',
        JSON.stringify({
          version: 1,
          savedAt: 'x',
          clockOffsetMs: 0,
          banks: { bec: { state: { version: 1, bank: 'bec' }, tpps: { consentTpp: [], paymentTpp: [] } } },
        }),
      ],
      // A finite offset the clock refuses: beyond the valid Date range.
      [
        'clock-out-of-range',
        JSON.stringify({ version: 1, savedAt: '2026-01-01T00:00:00.000Z', clockOffsetMs: 9e15, banks: {} }),
      ],
    ] as const) {
      const folder = join(dir, name);
      mkdirSync(folder);
      const statePath = join(folder, 'sandbox-state.json');
      writeFileSync(statePath, content);
      warnings.length = 0;
      sandbox = await start(statePath);
      expect(warnings, name).toHaveLength(1);
      expect(warnings[0]).toContain('unusable');
      const files = readdirSync(folder);
      expect(files, name).toHaveLength(1);
      expect(files[0]).toMatch(/^sandbox-state\.json\.corrupt-\d{4}-\d{2}-\d{2}T[\d-]+Z$/);
      expect(readFileSync(join(folder, files[0]), 'utf8')).toBe(content);
      expect(sandbox.banks.bec.state.snapshot().consents).toEqual([]);
      expect(Math.abs(sandbox.clock.now().getTime() - Date.now())).toBeLessThan(1000);
      // The empty banks work and are saved in place of the corrupt file on stop.
      sandbox.banks.bec.state.createConsent({
        tppOrgId: CLIENT,
        access: { allPsd2: 'allAccounts' },
        recurringIndicator: true,
        validUntil: '9999-12-31',
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      });
      await sandbox.stop();
      sandbox = undefined;
      expect(existsSync(statePath)).toBe(true);
      expect(parseSandboxStateFile(readFileSync(statePath, 'utf8')).banks.bec?.state.consents).toHaveLength(1);
      expect(statSync(statePath).mode & 0o777).toBe(0o600);
    }
  }, 60_000);
});

/** Client token, consent, the card issuer's page, code → tokens: the Enfuce flow as the TPP runs it. */
async function enfuceTokens(
  sandbox: SandboxBanks,
  tpp: TestTpp,
): Promise<{ consentId: string; access_token: string; refresh_token: string }> {
  const { baseUrl, apiKey } = sandbox.banks['enfuce-rocker'];
  const client = await call(tpp, `${baseUrl}/v1/token`, {
    form: { grant_type: 'client_credentials', client_id: tpp.orgId },
    sign: null,
    requestId: null,
  });
  expect(client.status, client.text).toBe(200);
  const consent = await call(tpp, `${baseUrl}/consent/v1/consents`, {
    sign: 'enfuce',
    json: {
      access: { allPsd2: 'allAccounts' },
      recurringIndicator: true,
      validUntil: '9999-12-31',
      frequencyPerDay: 4,
      combinedServiceIndicator: false,
    },
    headers: { Authorization: `Bearer ${client.body.access_token}`, 'X-API-Key': apiKey!, 'PSU-IP-Address': PSU_IP },
  });
  expect(consent.status, consent.text).toBe(201);
  const consentId = consent.body.consentId as string;
  const pkce = pkcePair();
  const authorize = new URL(`${baseUrl}/v1/authorizations`);
  const params = {
    response_type: 'code',
    client_id: tpp.orgId,
    scope: `AIS:${consentId}`,
    state: 's1',
    redirect_uri: REDIRECT,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
  const b = browser(sandbox.serverCaPem);
  const page = await b.get(authorize.toString());
  expect(page.status, page.text).toBe(200);
  const decided = await b.post(`${baseUrl}/v1/authorizations`, { ...formFields(page.text), decision: 'approve' });
  await b.agent.close();
  expect(decided.status, decided.text).toBe(302);
  const code = new URL(String(decided.headers.location)).searchParams.get('code')!;
  const tokens = await call(tpp, `${baseUrl}/v1/token`, {
    form: {
      grant_type: 'authorization_code',
      client_id: tpp.orgId,
      code,
      code_verifier: pkce.verifier,
      redirect_uri: REDIRECT,
    },
    sign: null,
    requestId: null,
  });
  expect(tokens.status, tokens.text).toBe(200);
  expect(codeOf(tokens)).toBeUndefined();
  return { consentId, access_token: tokens.body.access_token, refresh_token: tokens.body.refresh_token };
}
