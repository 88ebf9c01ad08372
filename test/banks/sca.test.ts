import { describe, expect, it } from 'vitest';
import { OAuth2IntegratedScaFlow, RedirectScaFlow, scaFlowFor } from '../../banks/sca';
import { Xs2aError } from '../../xs2a/errors';
import { codeChallengeFor } from '../../xs2a/oauth/pkce';
import { Xs2aClient } from '../../xs2a/operations/client';
import type { TokenSet } from '../../xs2a/operations/types';
import { FakeTransport } from '../xs2a/operations/fake-transport';
import { testBecProfile, testEnfuceProfile } from './fixtures';

const NOW = 1_800_000_000_000;
const CALLBACK = 'https://tpp.example/callback';
const request = {
  access: { accounts: [], balances: [], transactions: [] },
  recurringIndicator: true,
  validUntil: '2027-01-01',
  frequencyPerDay: 4,
  combinedServiceIndicator: false,
};

function bec(t: FakeTransport) {
  return scaFlowFor(new Xs2aClient({ profile: testBecProfile(), transport: t, now: () => NOW }));
}
function enfuce(t: FakeTransport) {
  return scaFlowFor(new Xs2aClient({ profile: testEnfuceProfile(), transport: t, now: () => NOW }));
}
const clientTokenReply = (token: string, expiresIn = 300) => ({
  body: { access_token: token, token_type: 'Bearer', expires_in: expiresIn },
});

async function caught(p: Promise<unknown>): Promise<Xs2aError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Xs2aError) return err;
    throw err;
  }
  throw new Error('expected an Xs2aError');
}

describe('scaFlowFor', () => {
  it('chooses the flow once from the profile: BEC redirect, Enfuce OAuth2 integrated', () => {
    expect(bec(new FakeTransport())).toBeInstanceOf(RedirectScaFlow);
    expect(enfuce(new FakeTransport())).toBeInstanceOf(OAuth2IntegratedScaFlow);
    expect(bec(new FakeTransport())).toMatchObject({ exchangesCode: false, canRefreshOnTokenInvalid: false });
    expect(enfuce(new FakeTransport())).toMatchObject({ exchangesCode: true, canRefreshOnTokenInvalid: true });
  });
});

describe('redirect flow (BEC)', () => {
  it('sends TPP-Redirect-URI with the state and TPP-Nok-Redirect-URI; the scaRedirect link is the authorisation URL', async () => {
    const t = new FakeTransport().reply({
      status: 201,
      body: { consentId: 'c-1', consentStatus: 'received', _links: { scaRedirect: { href: 'https://bank/sca/c-1' } } },
    });
    const started = await bec(t).startConsent({
      request,
      psuIpAddress: '10.0.0.1',
      callbackUrl: CALLBACK,
      state: 'st-1',
      now: NOW,
    });
    expect(started).toEqual({
      consent: { consentId: 'c-1', consentStatus: 'received', scaRedirect: 'https://bank/sca/c-1' },
      authorisationUrl: 'https://bank/sca/c-1',
    });
    expect(t.last.path).toBe('/v1/consents');
    expect(t.last.accessToken).toBeUndefined();
    expect(t.last.headers).toMatchObject({
      'TPP-Redirect-URI': `${CALLBACK}?state=st-1`,
      'TPP-Nok-Redirect-URI': `${CALLBACK}?state=st-1&error=access_denied`,
    });
  });

  it('a consent answered without an scaRedirect link is an invalid response', async () => {
    const t = new FakeTransport().reply({ status: 201, body: { consentId: 'c-2', consentStatus: 'valid' } });
    const err = await caught(
      bec(t).startConsent({ request, psuIpAddress: '10.0.0.1', callbackUrl: CALLBACK, state: 's', now: NOW }),
    );
    expect(err).toMatchObject({ kind: 'invalid_response', field: '_links.scaRedirect', aspsp: 'bec' });
  });

  it('no tokens: consent calls and reads carry none, and there is no code to exchange', async () => {
    const t = new FakeTransport();
    const flow = bec(t);
    await expect(flow.consentAccessToken(NOW)).resolves.toBeUndefined();
    let loaded = false;
    const read = await flow.psuAccessToken({
      stored: () => {
        loaded = true;
        return undefined;
      },
      force: true,
      refreshMarginMs: 60_000,
      now: NOW,
    });
    expect(read).toEqual({ accessToken: undefined });
    expect(loaded).toBe(false);
    const err = await caught(flow.completeAuthorisation({ code: 'x', codeVerifier: 'y', callbackUrl: CALLBACK }));
    expect(err.kind).toBe('configuration');
    expect(t.requests).toHaveLength(0);
  });
});

describe('OAuth2 integrated flow (Enfuce)', () => {
  it('creates the consent with the client token; the authorise URL binds the consent, state and PKCE S256', async () => {
    const t = new FakeTransport()
      .reply(clientTokenReply('cc-1'))
      .reply({ status: 201, body: { consentId: 'c-9', consentStatus: 'received' } });
    const started = await enfuce(t).startConsent({
      request,
      psuIpAddress: '10.0.0.1',
      callbackUrl: CALLBACK,
      state: 'st-9',
      now: NOW,
    });
    expect(t.requests[0].form).toMatchObject({ grant_type: 'client_credentials' });
    expect(t.requests[1]).toMatchObject({ path: '/consent/v1/consents', accessToken: 'cc-1' });
    expect(t.requests[1].headers?.['TPP-Redirect-URI']).toBeUndefined();
    expect(started.consent.consentId).toBe('c-9');
    expect(started.codeVerifier).toMatch(/^[A-Za-z0-9\-._~]{43,128}$/);
    const url = new URL(started.authorisationUrl);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      scope: 'AIS:c-9',
      state: 'st-9',
      redirect_uri: CALLBACK,
      code_challenge: codeChallengeFor(started.codeVerifier!),
      code_challenge_method: 'S256',
    });
  });

  it('caches the client token per bank, shares one request between concurrent callers, renews it near expiry', async () => {
    const t = new FakeTransport().reply(clientTokenReply('cc-1', 300), clientTokenReply('cc-2', 300));
    const flow = enfuce(t);
    expect(await Promise.all([flow.consentAccessToken(NOW), flow.consentAccessToken(NOW)])).toEqual(['cc-1', 'cc-1']);
    expect(await flow.consentAccessToken(NOW + 200_000)).toBe('cc-1');
    expect(t.requests).toHaveLength(1);
    // 30 s before it expires it is renewed.
    expect(await flow.consentAccessToken(NOW + 271_000)).toBe('cc-2');
    expect(t.requests).toHaveLength(2);
  });

  it('a cached client token the bank refuses (401 TOKEN_EXPIRED) is dropped, renewed and the call retried once', async () => {
    const expired = {
      status: 401,
      body: { tppMessages: [{ category: 'ERROR', code: 'TOKEN_EXPIRED', text: 'The access token has expired' }] },
    };
    const t = new FakeTransport()
      .reply(clientTokenReply('cc-1', 3600))
      .reply(expired)
      .reply(clientTokenReply('cc-2', 3600))
      .reply({ status: 201, body: { consentId: 'c-1', consentStatus: 'received' } });
    const flow = enfuce(t);
    const started = await flow.startConsent({
      request,
      psuIpAddress: '10.0.0.1',
      callbackUrl: CALLBACK,
      state: 's',
      now: NOW,
    });
    expect(started.consent.consentId).toBe('c-1');
    expect(t.requests.map((r) => r.accessToken ?? r.form?.grant_type)).toEqual([
      'client_credentials',
      'cc-1',
      'client_credentials',
      'cc-2',
    ]);
    // The new token is the cached one now.
    expect(await flow.consentAccessToken(NOW)).toBe('cc-2');

    // Only once: a second refusal reaches the caller; other errors are not retried.
    const again = new FakeTransport().reply(clientTokenReply('cc-3', 3600)).reply(clientTokenReply('cc-4', 3600));
    const used: (string | undefined)[] = [];
    const err = await caught(
      enfuce(again).withClientToken(NOW, (accessToken) => {
        used.push(accessToken);
        return Promise.reject(new Xs2aError('refused', { kind: 'token_invalid' }));
      }),
    );
    expect(err.kind).toBe('token_invalid');
    expect(used).toEqual(['cc-3', 'cc-4']);
    let calls = 0;
    const other = await caught(
      enfuce(new FakeTransport().reply(clientTokenReply('cc-5', 3600))).withClientToken(NOW, () => {
        calls++;
        return Promise.reject(new Xs2aError('down', { kind: 'server' }));
      }),
    );
    expect(other.kind).toBe('server');
    expect(calls).toBe(1);
    // The redirect flow has no token and nothing to retry.
    expect(await bec(new FakeTransport()).withClientToken(NOW, (token) => Promise.resolve(token))).toBeUndefined();
  });

  it('exchanges the code with the verifier and the callback as redirect URI', async () => {
    const t = new FakeTransport().reply({
      body: { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt' },
    });
    const tokens = await enfuce(t).completeAuthorisation({
      code: 'the-code',
      codeVerifier: 'v'.repeat(43),
      callbackUrl: CALLBACK,
    });
    expect(tokens).toMatchObject({ accessToken: 'at', refreshToken: 'rt' });
    expect(t.last.form).toMatchObject({
      grant_type: 'authorization_code',
      code: 'the-code',
      code_verifier: 'v'.repeat(43),
      redirect_uri: CALLBACK,
    });
  });

  describe('PSU access token', () => {
    const stored = (expiresAt: number, refreshToken?: string): TokenSet => ({
      accessToken: 'psu-at',
      tokenType: 'Bearer',
      expiresAt,
      ...(refreshToken ? { refreshToken } : {}),
    });
    const input = { refreshMarginMs: 60_000, now: NOW, force: false };

    it('the stored token while it is fresh, without a bank call', async () => {
      const t = new FakeTransport();
      const read = await enfuce(t).psuAccessToken({ ...input, stored: () => stored(NOW + 600_000, 'rt') });
      expect(read).toEqual({ accessToken: 'psu-at' });
      expect(t.requests).toHaveLength(0);
    });

    it('refreshes near expiry (or when forced) and hands the refresh back, keeping the old refresh token when none comes', async () => {
      const t = new FakeTransport()
        .reply({ body: { access_token: 'psu-at-2', token_type: 'Bearer', expires_in: 3600 } })
        .reply({ body: { access_token: 'psu-at-3', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt-3' } });
      const flow = enfuce(t);
      const near = await flow.psuAccessToken({ ...input, stored: () => stored(NOW + 30_000, 'rt') });
      expect(near.accessToken).toBe('psu-at-2');
      expect(near.refreshed).toMatchObject({ accessToken: 'psu-at-2', refreshToken: 'rt', expiresAt: NOW + 3_600_000 });
      expect(t.last.form).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'rt' });
      const forced = await flow.psuAccessToken({ ...input, force: true, stored: () => stored(NOW + 600_000, 'rt') });
      expect(forced.refreshed).toMatchObject({ accessToken: 'psu-at-3', refreshToken: 'rt-3' });
    });

    it('a bank that does not rotate the refresh token leaves its expiry as it was; a rotated one brings its own', async () => {
      const t = new FakeTransport()
        .reply({ body: { access_token: 'psu-at-2', token_type: 'Bearer', expires_in: 3600 } })
        .reply({
          body: {
            access_token: 'psu-at-3',
            token_type: 'Bearer',
            expires_in: 3600,
            refresh_token: 'rt-3',
            refresh_expires_in: 600,
          },
        });
      const flow = enfuce(t);
      const old = { ...stored(NOW + 30_000, 'rt'), refreshExpiresAt: NOW + 86_400_000 };
      const kept = await flow.psuAccessToken({ ...input, stored: () => old });
      expect(kept.refreshed).toMatchObject({ refreshToken: 'rt', refreshExpiresAt: NOW + 86_400_000 });
      const rotated = await flow.psuAccessToken({ ...input, stored: () => old });
      expect(rotated.refreshed).toMatchObject({ refreshToken: 'rt-3', refreshExpiresAt: NOW + 600_000 });
    });

    it('no stored token, or an expired one without a refresh token, is grant_invalid', async () => {
      const flow = enfuce(new FakeTransport());
      expect(await caught(flow.psuAccessToken({ ...input, stored: () => undefined }))).toMatchObject({
        kind: 'grant_invalid',
        aspsp: 'enfuce-rocker',
      });
      expect(await caught(flow.psuAccessToken({ ...input, stored: () => stored(NOW - 1) }))).toMatchObject({
        kind: 'grant_invalid',
      });
    });
  });
});
