import { describe, expect, it } from 'vitest';
import { Xs2aError } from '../../../xs2a/errors';
import { buildAuthorisationUrl } from '../../../xs2a/oauth/authorisation-url';
import { TokenClient, tokenNeedsRefresh } from '../../../xs2a/oauth/token-client';
import { FakeTransport } from '../operations/fake-transport';
import { ENFUCE_BASE_URL, testBecProfile, testEnfuceProfile } from '../../banks/fixtures';

const NOW = 1_800_000_000_000;
const clock = () => NOW;

async function caught(p: Promise<unknown>): Promise<Xs2aError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Xs2aError) return err;
    throw err;
  }
  throw new Error('expected an Xs2aError');
}

describe('buildAuthorisationUrl', () => {
  it('carries every parameter of the integrated approach, consent bound through scope', () => {
    const url = new URL(
      buildAuthorisationUrl(testEnfuceProfile(), {
        consentId: 'c-123',
        state: 'st&ate=1',
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        redirectUri: 'https://tpp.example/cb?x=1',
      }),
    );
    expect(`${url.origin}${url.pathname}`).toBe(`${ENFUCE_BASE_URL}/v1/authorizations`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'tpp-client-1',
      scope: 'AIS:c-123',
      state: 'st&ate=1',
      redirect_uri: 'https://tpp.example/cb?x=1',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
  });

  it('keeps a query already in the configured URL and does not duplicate parameters', () => {
    const profile = testEnfuceProfile();
    profile.oauth = { ...profile.oauth!, authorizeUrl: 'https://127.0.0.1:8444/auth?ui_locales=sv&scope=old' };
    const url = new URL(
      buildAuthorisationUrl(profile, { consentId: 'c', state: 's', codeChallenge: 'x', redirectUri: 'https://r' }),
    );
    expect(url.searchParams.get('ui_locales')).toBe('sv');
    expect(url.searchParams.getAll('scope')).toEqual(['AIS:c']);
  });

  it('is a configuration error for a profile without OAuth', () => {
    expect(() =>
      buildAuthorisationUrl(testBecProfile(), {
        consentId: 'c',
        state: 's',
        codeChallenge: 'x',
        redirectUri: 'https://r',
      }),
    ).toThrow(expect.objectContaining({ kind: 'configuration' }));
  });
});

describe('TokenClient', () => {
  const tokenUrl = `${ENFUCE_BASE_URL}/v1/token`;

  it('client credentials: form POST to the token URL with grant_type and client_id', async () => {
    const t = new FakeTransport().reply({
      body: { access_token: 'cc-token', token_type: 'Bearer', expires_in: 300, scope: 'AIS' },
    });
    const tokens = await new TokenClient(t, testEnfuceProfile(), clock).clientCredentials('AIS');
    expect(tokens).toEqual({ accessToken: 'cc-token', tokenType: 'Bearer', expiresAt: NOW + 300_000, scope: 'AIS' });
    expect(t.last).toMatchObject({
      method: 'POST',
      path: tokenUrl,
      form: { grant_type: 'client_credentials', client_id: 'tpp-client-1', scope: 'AIS' },
    });
    expect(t.last.operation).toBe('POST /rocker/v1/token client_credentials');
    expect(t.last.signed).not.toBe(false); // goes through the signed transport
    expect(t.last.json).toBeUndefined();
  });

  it('authorization code: sends code, verifier and redirect URI; reads refresh token and its expiry', async () => {
    const t = new FakeTransport().reply({
      body: {
        access_token: 'at',
        token_type: 'Bearer',
        expires_in: '3600',
        refresh_token: 'rt',
        refresh_expires_in: 7_776_000,
        extra: 1,
      },
    });
    const tokens = await new TokenClient(t, testEnfuceProfile(), clock).authorizationCode({
      code: 'the-code',
      codeVerifier: 'v'.repeat(43),
      redirectUri: 'https://tpp.example/cb',
    });
    expect(tokens).toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
      expiresAt: NOW + 3_600_000,
      refreshToken: 'rt',
      refreshExpiresAt: NOW + 7_776_000_000,
    });
    expect(t.last.form).toEqual({
      grant_type: 'authorization_code',
      client_id: 'tpp-client-1',
      code: 'the-code',
      code_verifier: 'v'.repeat(43),
      redirect_uri: 'https://tpp.example/cb',
    });
  });

  it('refresh: sends the refresh token', async () => {
    const t = new FakeTransport().reply({
      body: { access_token: 'at2', token_type: 'Bearer', expires_in: 60, refresh_token: 'rt2' },
    });
    const tokens = await new TokenClient(t, testEnfuceProfile(), clock).refresh('rt1');
    expect(tokens.refreshToken).toBe('rt2');
    expect(t.last.form).toEqual({ grant_type: 'refresh_token', client_id: 'tpp-client-1', refresh_token: 'rt1' });
  });

  it("a refresh token the bank gives no lifetime for (or 0) lives the profile's default; no refresh token, no expiry", async () => {
    const profile = testEnfuceProfile();
    const lifetime = profile.oauth!.refreshTokenLifetimeMs!;
    expect(lifetime).toBeGreaterThan(0);
    const t = new FakeTransport()
      .reply({ body: { access_token: 'a1', token_type: 'Bearer', expires_in: 60, refresh_token: 'r1' } })
      .reply({
        body: { access_token: 'a2', token_type: 'Bearer', expires_in: 60, refresh_token: 'r2', refresh_expires_in: 0 },
      })
      .reply({ body: { access_token: 'a3', token_type: 'Bearer', expires_in: 60 } });
    const client = new TokenClient(t, profile, clock);
    expect((await client.refresh('r0')).refreshExpiresAt).toBe(NOW + lifetime);
    expect((await client.refresh('r1')).refreshExpiresAt).toBe(NOW + lifetime);
    expect((await client.refresh('r2')).refreshExpiresAt).toBeUndefined();
  });

  it('a refused refresh (invalid_grant) is grant_invalid, without the token in the message', async () => {
    const t = new FakeTransport().reply({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'refresh token expired' },
    });
    const err = await caught(new TokenClient(t, testEnfuceProfile(), clock).refresh('rt-secret-123'));
    expect(err.kind).toBe('grant_invalid');
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain('rt-secret-123');
  });

  it('a refresh refused as TOKEN_INVALID/TOKEN_EXPIRED is grant_invalid too (retrying cannot help)', async () => {
    for (const body of [{ tppMessages: [{ category: 'ERROR', code: 'TOKEN_EXPIRED' }] }, {}]) {
      const t = new FakeTransport().reply({ status: 401, body });
      const err = await caught(new TokenClient(t, testEnfuceProfile(), clock).refresh('rt-secret-456'));
      expect(err.kind).toBe('grant_invalid');
      expect(err.status).toBe(401);
      expect(err.message).not.toContain('rt-secret-456');
    }
  });

  it('an OAuth error answered with 200 is still an error', async () => {
    const t = new FakeTransport().reply({ status: 200, body: { error: 'invalid_grant' } });
    const err = await caught(
      new TokenClient(t, testEnfuceProfile(), clock).authorizationCode({
        code: 'c',
        codeVerifier: 'v'.repeat(43),
        redirectUri: 'https://r',
      }),
    );
    expect(err.kind).toBe('grant_invalid');
  });

  it('a token response that breaks the schema names the field, never the tokens', async () => {
    const t = new FakeTransport().reply({
      body: { access_token: 'leaky-token', token_type: 'Bearer', refresh_token: 'leaky-refresh' },
    });
    const err = await caught(new TokenClient(t, testEnfuceProfile(), clock).clientCredentials());
    expect(err.kind).toBe('invalid_response');
    expect(err.field).toBe('expires_in');
    expect(JSON.stringify(err.toJSON())).not.toMatch(/leaky/);
    expect(t.last.form).toEqual({ grant_type: 'client_credentials', client_id: 'tpp-client-1' });
  });

  it('a profile without OAuth cannot have a token client', () => {
    expect(() => new TokenClient(new FakeTransport(), testBecProfile())).toThrow(
      expect.objectContaining({ kind: 'configuration' }),
    );
  });
});

describe('tokenNeedsRefresh', () => {
  it('is true within the margin and after expiry, false before', () => {
    expect(tokenNeedsRefresh({ expiresAt: NOW + 120_000 }, 60_000, NOW)).toBe(false);
    expect(tokenNeedsRefresh({ expiresAt: NOW + 60_001 }, 60_000, NOW)).toBe(false);
    expect(tokenNeedsRefresh({ expiresAt: NOW + 60_000 }, 60_000, NOW)).toBe(true);
    expect(tokenNeedsRefresh({ expiresAt: NOW - 1 }, 0, NOW)).toBe(true);
  });
});
