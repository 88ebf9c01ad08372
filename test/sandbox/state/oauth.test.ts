import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUTHORISATION_CODE_TTL_MS } from '../../../sandbox/state';
import { approvedConsent, DAY_MS, makeBank } from './fixtures';

const CLIENT = 'PSDSE-FINA-44059';
const REDIRECT = 'https://tpp.example/callback';

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorised(bank: 'enfuce-rocker' | 'enfuce-st1' = 'enfuce-rocker', settings = {}) {
  const { state, clock } = makeBank(bank, { settings });
  const consentId = approvedConsent(state, { tppOrgId: CLIENT });
  const psuId = state.testPsus()[0].id;
  const { verifier, challenge } = pkce();
  const code = state.issueAuthorisationCode({
    clientId: CLIENT,
    consentId,
    psuId,
    redirectUri: REDIRECT,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
  });
  return { state, clock, consentId, psuId, verifier, challenge, code };
}

const invalidGrant = expect.objectContaining({ code: 'invalid_grant' });

describe('client credentials', () => {
  it('issues random bearer tokens that inspect as client tokens and expire on the clock', () => {
    const { state, clock } = makeBank('enfuce-st1', { settings: { accessTokenTtlMs: 60_000 } });
    const a = state.issueClientToken(CLIENT);
    const b = state.issueClientToken(CLIENT);
    expect(a).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    expect(a.refresh_token).toBeUndefined();
    expect(a.access_token).not.toBe(b.access_token);
    expect(a.access_token.length).toBeGreaterThanOrEqual(43);
    expect(state.inspectAccessToken(a.access_token)).toMatchObject({ kind: 'client', clientId: CLIENT });
    expect(state.inspectAccessToken('made-up')).toEqual({ error: 'TOKEN_INVALID' });
    clock.advance(60_000);
    expect(state.inspectAccessToken(a.access_token)).toEqual({ error: 'TOKEN_EXPIRED' });
    expect(() => state.issueClientToken('')).toThrow(expect.objectContaining({ code: 'invalid_client' }));
  });
});

describe('authorisation code with PKCE', () => {
  it('redeems once for a PSU token bound to the consent and a refresh token', () => {
    const { state, consentId, psuId, verifier, code } = authorised();
    const tokens = state.redeemAuthorisationCode({
      clientId: CLIENT,
      code,
      codeVerifier: verifier,
      redirectUri: REDIRECT,
    });
    expect(tokens).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_expires_in: 90 * 86_400,
      scope: `AIS:${consentId}`,
    });
    expect(state.inspectAccessToken(tokens.access_token)).toMatchObject({
      kind: 'psu',
      clientId: CLIENT,
      consentId,
      psuId,
    });
    // single use; and replaying the code revokes what it produced
    expect(() =>
      state.redeemAuthorisationCode({ clientId: CLIENT, code, codeVerifier: verifier, redirectUri: REDIRECT }),
    ).toThrow(invalidGrant);
    expect(state.inspectAccessToken(tokens.access_token)).toEqual({ error: 'TOKEN_INVALID' });
    expect(() => state.refreshTokens({ clientId: CLIENT, refreshToken: tokens.refresh_token! })).toThrow(invalidGrant);
  });

  it('refuses a PKCE mismatch, and the code is spent afterwards', () => {
    const { state, verifier, code } = authorised();
    expect(() =>
      state.redeemAuthorisationCode({ clientId: CLIENT, code, codeVerifier: pkce().verifier, redirectUri: REDIRECT }),
    ).toThrow(expect.objectContaining({ code: 'invalid_grant', message: expect.stringContaining('PKCE') }));
    expect(() =>
      state.redeemAuthorisationCode({ clientId: CLIENT, code, codeVerifier: verifier, redirectUri: REDIRECT }),
    ).toThrow(invalidGrant);
  });

  it('refuses a malformed verifier, a redirect_uri mismatch, another client and an unknown code', () => {
    for (const attempt of [
      { codeVerifier: 'short' },
      { redirectUri: 'https://tpp.example/other' },
      { clientId: 'PSDSE-FINA-00000' },
    ]) {
      const { state, verifier, code } = authorised();
      let thrown: unknown;
      try {
        state.redeemAuthorisationCode({
          clientId: CLIENT,
          code,
          codeVerifier: verifier,
          redirectUri: REDIRECT,
          ...attempt,
        });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'invalid_grant' });
      // error messages never carry the secrets
      expect(String((thrown as Error).message)).not.toContain(code);
      expect(String((thrown as Error).message)).not.toContain(verifier);
    }
    const { state, verifier } = authorised();
    expect(() =>
      state.redeemAuthorisationCode({ clientId: CLIENT, code: 'guess', codeVerifier: verifier, redirectUri: REDIRECT }),
    ).toThrow(invalidGrant);
  });

  it('expires codes after five minutes on the clock', () => {
    const { state, clock, verifier, code } = authorised();
    clock.advance(AUTHORISATION_CODE_TTL_MS);
    expect(() =>
      state.redeemAuthorisationCode({ clientId: CLIENT, code, codeVerifier: verifier, redirectUri: REDIRECT }),
    ).toThrow(expect.objectContaining({ code: 'invalid_grant', message: expect.stringContaining('expired') }));
  });

  it('issues codes only for an authorised consent of the same client, with S256', () => {
    const { state } = makeBank('enfuce-st1');
    const { challenge } = pkce();
    const pending = state.createConsent({
      tppOrgId: CLIENT,
      access: { allPsd2: 'allAccounts' },
      recurringIndicator: true,
      validUntil: '2026-05-01',
      frequencyPerDay: 4,
      combinedServiceIndicator: false,
    });
    const input = {
      clientId: CLIENT,
      consentId: pending.consentId,
      psuId: 'st1-psu-1',
      redirectUri: REDIRECT,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256' as const,
    };
    expect(() => state.issueAuthorisationCode(input)).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    state.decideConsent(pending.consentId, 'st1-psu-1', 'approve');
    expect(() => state.issueAuthorisationCode({ ...input, clientId: 'someone-else' })).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(() => state.issueAuthorisationCode({ ...input, codeChallengeMethod: 'plain' as 'S256' })).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(() => state.issueAuthorisationCode({ ...input, codeChallenge: 'too-short' })).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
    expect(state.issueAuthorisationCode(input)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('refresh tokens', () => {
  it('rotate: the new pair works and the old refresh token is refused', () => {
    const { state, verifier, code, consentId } = authorised();
    const first = state.redeemAuthorisationCode({
      clientId: CLIENT,
      code,
      codeVerifier: verifier,
      redirectUri: REDIRECT,
    });
    const second = state.refreshTokens({ clientId: CLIENT, refreshToken: first.refresh_token! });
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(state.inspectAccessToken(second.access_token)).toMatchObject({ kind: 'psu', consentId });
    expect(() => state.refreshTokens({ clientId: CLIENT, refreshToken: first.refresh_token! })).toThrow(invalidGrant);
    expect(state.refreshTokens({ clientId: CLIENT, refreshToken: second.refresh_token! }).access_token).toBeTruthy();
  });

  it('are refused for another client', () => {
    const { state, verifier, code } = authorised();
    const tokens = state.redeemAuthorisationCode({
      clientId: CLIENT,
      code,
      codeVerifier: verifier,
      redirectUri: REDIRECT,
    });
    expect(() => state.refreshTokens({ clientId: 'other', refreshToken: tokens.refresh_token! })).toThrow(invalidGrant);
  });

  it('are refused once the consent is revoked or expired', () => {
    const revoked = authorised();
    const t1 = revoked.state.redeemAuthorisationCode({
      clientId: CLIENT,
      code: revoked.code,
      codeVerifier: revoked.verifier,
      redirectUri: REDIRECT,
    });
    revoked.state.revokeConsent(revoked.consentId, 'psu');
    expect(() => revoked.state.refreshTokens({ clientId: CLIENT, refreshToken: t1.refresh_token! })).toThrow(
      expect.objectContaining({ code: 'invalid_grant', message: expect.stringContaining('consent') }),
    );

    const expiring = authorised('enfuce-st1');
    const t2 = expiring.state.redeemAuthorisationCode({
      clientId: CLIENT,
      code: expiring.code,
      codeVerifier: expiring.verifier,
      redirectUri: REDIRECT,
    });
    expiring.clock.advance(91 * DAY_MS); // Enfuce consents last at most 90 days
    expect(expiring.state.getConsent(expiring.consentId)!.status).toBe('expired');
    expect(() => expiring.state.refreshTokens({ clientId: CLIENT, refreshToken: t2.refresh_token! })).toThrow(
      invalidGrant,
    );
  });

  it('are refused after their own lifetime; access tokens report TOKEN_EXPIRED', () => {
    const { state, clock, verifier, code } = authorised('enfuce-rocker', {
      accessTokenTtlMs: 1_000,
      refreshTokenTtlMs: 10_000,
    });
    const tokens = state.redeemAuthorisationCode({
      clientId: CLIENT,
      code,
      codeVerifier: verifier,
      redirectUri: REDIRECT,
    });
    expect(tokens).toMatchObject({ expires_in: 1, refresh_expires_in: 10 });
    clock.advance(1_000);
    expect(state.inspectAccessToken(tokens.access_token)).toEqual({ error: 'TOKEN_EXPIRED' });
    clock.advance(9_000);
    expect(() => state.refreshTokens({ clientId: CLIENT, refreshToken: tokens.refresh_token! })).toThrow(
      expect.objectContaining({ code: 'invalid_grant', message: expect.stringContaining('expired') }),
    );
  });

  it('expire in real time too, because the clock follows real time plus advances', async () => {
    const { state, verifier, code } = authorised('enfuce-rocker', { accessTokenTtlMs: 50 });
    const tokens = state.redeemAuthorisationCode({
      clientId: CLIENT,
      code,
      codeVerifier: verifier,
      redirectUri: REDIRECT,
    });
    expect(state.inspectAccessToken(tokens.access_token)).toMatchObject({ kind: 'psu' });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(state.inspectAccessToken(tokens.access_token)).toEqual({ error: 'TOKEN_EXPIRED' });
  });
});
