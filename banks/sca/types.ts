import type { ConsentCreated, CreateConsentInput, TokenSet } from '../../xs2a/operations/types';
import type { BankProfile } from '../../xs2a/profiles/types';

/**
 * How a bank has the PSU approve a consent, behind one interface: chosen once per bank
 * from its profile's scaApproach (banks/directory.ts puts it on the BankHandle as `sca`).
 *
 * - redirect (BEC): the consent carries TPP-Redirect-URI / TPP-Nok-Redirect-URI and the
 *   bank answers with the scaRedirect link; no tokens.
 * - oauth2-integrated (Enfuce): consent calls carry the TPP's client-credentials token; the
 *   PSU authorises at the bank's authorise URL (scope AIS:<consentId>, state, PKCE S256);
 *   the code is exchanged for the PSU's tokens, which reads carry and which are refreshed.
 *
 * Bank protocol only: storing the verifier, code, state hash and tokens is the caller's.
 */
export interface ScaFlow {
  readonly approach: BankProfile['scaApproach'];
  /** The PSU's approval ends with a code to exchange (completeAuthorisation) for PSU tokens. */
  readonly exchangesCode: boolean;
  /** A read refused with TOKEN_INVALID is worth one forced refresh and a second try. */
  readonly canRefreshOnTokenInvalid: boolean;

  /** Creates the consent at the bank and the URL the PSU's browser opens to approve it. */
  startConsent(input: StartConsentInput): Promise<StartedConsent>;

  /** The access token consent resource calls carry (create, get, status, delete), if the bank wants one. */
  consentAccessToken(now: number): Promise<string | undefined>;

  /**
   * Runs `call` with the consent access token. When the bank refuses a cached client token
   * (401 TOKEN_EXPIRED / TOKEN_INVALID: clock skew, early revocation), the token is dropped,
   * a new one is fetched and `call` runs once more.
   */
  withClientToken<T>(now: number, call: (accessToken: string | undefined) => Promise<T>): Promise<T>;

  /** Exchanges the code from the PSU's return for the PSU's tokens (only when exchangesCode). */
  completeAuthorisation(input: CompleteAuthorisationInput): Promise<TokenSet>;

  /**
   * The PSU's access token for reads (undefined where the bank uses none), refreshed first
   * when it is about to expire or when forced. A refresh is handed back for the caller to store.
   */
  psuAccessToken(input: PsuAccessTokenInput): Promise<PsuAccessToken>;
}

export interface StartConsentInput {
  request: CreateConsentInput;
  /** Mandatory on POST /consents. */
  psuIpAddress: string;
  /** Our callback, where the PSU's browser comes back. */
  callbackUrl: string;
  /** This attempt's OAuth state; it comes back on the callback (the caller stores only a hash). */
  state: string;
  /** Epoch milliseconds, for the client-credentials token's expiry. */
  now: number;
}

export interface StartedConsent {
  consent: ConsentCreated;
  /** Where the PSU approves: the scaRedirect link, or the bank's authorise URL. */
  authorisationUrl: string;
  /** oauth2-integrated: the PKCE verifier, to keep secret (encrypted) until the code exchange. */
  codeVerifier?: string;
}

export interface CompleteAuthorisationInput {
  code: string;
  codeVerifier: string;
  /** The redirect URI the authorisation was started with. */
  callbackUrl: string;
  signal?: AbortSignal;
}

export interface PsuAccessTokenInput {
  /** Reads the stored PSU tokens; only called by flows that use them. */
  stored: () => TokenSet | undefined | Promise<TokenSet | undefined>;
  /** Refresh even when the token is not about to expire (e.g. after TOKEN_INVALID). */
  force: boolean;
  refreshMarginMs: number;
  now: number;
  signal?: AbortSignal;
}

export interface PsuAccessToken {
  accessToken: string | undefined;
  /** Set when the token was refreshed: store it (it keeps the old refresh token when the bank sent none). */
  refreshed?: TokenSet;
}
