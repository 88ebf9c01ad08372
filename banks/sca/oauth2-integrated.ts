import { Xs2aError } from '../../xs2a/errors';
import { createPkcePair } from '../../xs2a/oauth/pkce';
import { tokenNeedsRefresh } from '../../xs2a/oauth/token-client';
import type { Xs2aClient } from '../../xs2a/operations/client';
import type { TokenSet } from '../../xs2a/operations/types';
import type {
  CompleteAuthorisationInput,
  PsuAccessToken,
  PsuAccessTokenInput,
  ScaFlow,
  StartConsentInput,
  StartedConsent,
} from './types';

/** A cached client token is renewed this long before it expires. */
const CLIENT_TOKEN_MARGIN_MS = 30_000;

/**
 * The OAuth2 integrated approach (Enfuce): consent calls carry the TPP's
 * client-credentials token; the PSU authorises at the bank's authorise URL with scope
 * AIS:<consentId>, our state and a PKCE S256 challenge; the code comes back to our
 * callback and is exchanged (with the verifier) for the PSU's tokens, which every read
 * carries and which are refreshed before they expire.
 */
export class OAuth2IntegratedScaFlow implements ScaFlow {
  readonly approach = 'oauth2-integrated' as const;
  readonly exchangesCode = true;
  readonly canRefreshOnTokenInvalid = true;

  /**
   * The client-credentials token, cached for this bank in the process: it is the TPP's,
   * not a PSU's, and asking for one per call would spend the bank's request budget for
   * nothing. Never persisted.
   */
  private clientToken?: TokenSet;
  /** Concurrent activities share one token request instead of each spending the bank's budget. */
  private clientTokenRequest?: Promise<TokenSet>;

  constructor(private readonly client: Xs2aClient) {}

  async startConsent(input: StartConsentInput): Promise<StartedConsent> {
    const pkce = createPkcePair();
    const consent = await this.withClientToken(input.now, (accessToken) =>
      this.client.createConsent(input.request, { psuIpAddress: input.psuIpAddress, accessToken }),
    );
    const authorisationUrl = this.client.authorisationUrl({
      consentId: consent.consentId,
      state: input.state,
      codeChallenge: pkce.codeChallenge,
      redirectUri: input.callbackUrl,
    });
    return { consent, authorisationUrl, codeVerifier: pkce.codeVerifier };
  }

  async consentAccessToken(now: number): Promise<string | undefined> {
    const cached = this.clientToken;
    if (cached && !tokenNeedsRefresh(cached, CLIENT_TOKEN_MARGIN_MS, now)) return cached.accessToken;
    let pending = this.clientTokenRequest;
    if (!pending) {
      pending = this.client.tokens().clientCredentials();
      this.clientTokenRequest = pending;
      pending
        .then(
          (fresh) => {
            this.clientToken = fresh;
          },
          () => undefined,
        )
        .finally(() => {
          this.clientTokenRequest = undefined;
        });
    }
    return (await pending).accessToken;
  }

  async withClientToken<T>(now: number, call: (accessToken: string | undefined) => Promise<T>): Promise<T> {
    const token = await this.consentAccessToken(now);
    try {
      return await call(token);
    } catch (err) {
      if (!(err instanceof Xs2aError && err.kind === 'token_invalid')) throw err;
      // The bank no longer takes the cached token: forget it (unless a newer one already replaced it).
      if (this.clientToken?.accessToken === token) this.clientToken = undefined;
      const fresh = await this.consentAccessToken(now);
      return call(fresh);
    }
  }

  completeAuthorisation(input: CompleteAuthorisationInput): Promise<TokenSet> {
    return this.client
      .tokens()
      .authorizationCode(
        { code: input.code, codeVerifier: input.codeVerifier, redirectUri: input.callbackUrl },
        { signal: input.signal },
      );
  }

  async psuAccessToken(input: PsuAccessTokenInput): Promise<PsuAccessToken> {
    const aspsp = this.client.profile.id;
    const current = await input.stored();
    if (!current) throw new Xs2aError('no PSU token is stored for this connection', { kind: 'grant_invalid', aspsp });
    if (!input.force && !tokenNeedsRefresh(current, input.refreshMarginMs, input.now))
      return { accessToken: current.accessToken };
    if (!current.refreshToken)
      throw new Xs2aError('the PSU token expired and the bank gave no refresh token', { kind: 'grant_invalid', aspsp });
    const fresh = await this.client.tokens().refresh(current.refreshToken, { signal: input.signal });
    // A bank that does not rotate keeps the refresh token, and with it its expiry (unless it says another).
    const kept = fresh.refreshToken === undefined ? current : undefined;
    const refreshExpiresAt = fresh.refreshExpiresAt ?? kept?.refreshExpiresAt;
    return {
      accessToken: fresh.accessToken,
      refreshed: {
        ...fresh,
        refreshToken: fresh.refreshToken ?? current.refreshToken,
        ...(refreshExpiresAt !== undefined ? { refreshExpiresAt } : {}),
      },
    };
  }
}
