import { z } from 'zod';
import { errorFromResponse, Xs2aError } from '../errors';
import type { TokenSet } from '../operations/types';
import type { BankProfile } from '../profiles/types';
import type { Xs2aTransport } from '../transport/types';
import { fieldPath } from '../transport/url';

/** Some servers send expires_in as a numeric string; both mean seconds. */
const seconds = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]);

export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().min(1),
  expires_in: seconds,
  refresh_token: z.string().min(1).optional(),
  refresh_expires_in: seconds.optional(),
  scope: z.string().optional(),
});

/** Per call: the caller's AbortSignal (e.g. Temporal's activity cancellation), passed to the transport request. */
export interface TokenCallOptions {
  signal?: AbortSignal;
}

export interface AuthorizationCodeGrant {
  code: string;
  codeVerifier: string;
  redirectUri: string;
}

/**
 * The bank's OAuth2 token endpoint (RFC 6749) as used by the Berlin Group integrated
 * approach: a public client identified by client_id and authenticated by the mTLS
 * QWAC (RFC 8705), so there is no client secret. Every request goes through the
 * signed XS2A transport like any other bank call.
 */
export class TokenClient {
  private readonly oauth: NonNullable<BankProfile['oauth']>;
  private readonly operation: string;

  constructor(
    private readonly transport: Xs2aTransport,
    private readonly profile: BankProfile,
    private readonly now: () => number = Date.now,
  ) {
    if (!profile.oauth) {
      throw new Xs2aError(`Bank profile ${profile.id} has no OAuth settings (scaApproach ${profile.scaApproach})`, {
        kind: 'configuration',
        aspsp: profile.id,
      });
    }
    this.oauth = profile.oauth;
    // The configured path carries no ids, so it is safe and stable as a metrics label.
    this.operation = `POST ${new URL(this.oauth.tokenUrl).pathname}`;
  }

  /** The TPP's own token, used to create consents at banks that want one (Enfuce). */
  clientCredentials(scope?: string, call: TokenCallOptions = {}): Promise<TokenSet> {
    return this.requestToken('client_credentials', scope === undefined ? {} : { scope }, {}, call);
  }

  /** Exchanges the code from the PSU's redirect; a refused or reused code is 'grant_invalid'. */
  authorizationCode(grant: AuthorizationCodeGrant, call: TokenCallOptions = {}): Promise<TokenSet> {
    return this.requestToken(
      'authorization_code',
      { code: grant.code, code_verifier: grant.codeVerifier, redirect_uri: grant.redirectUri },
      {},
      call,
    );
  }

  /**
   * A refused refresh always surfaces as 'grant_invalid': whatever code the bank uses
   * (invalid_grant, or TOKEN_INVALID/TOKEN_EXPIRED about the refresh token itself),
   * retrying cannot help and the PSU has to authorise again.
   */
  refresh(refreshToken: string, call: TokenCallOptions = {}): Promise<TokenSet> {
    return this.requestToken('refresh_token', { refresh_token: refreshToken }, { refusedIsGrantInvalid: true }, call);
  }

  private async requestToken(
    grantType: string,
    fields: Record<string, string>,
    opts: { refusedIsGrantInvalid?: boolean } = {},
    call: TokenCallOptions = {},
  ): Promise<TokenSet> {
    const operation = `${this.operation} ${grantType}`;
    const requestedAt = this.now();
    let data: unknown;
    let requestId: string | undefined;
    try {
      const res = await this.transport.request<unknown>({
        method: 'POST',
        path: this.oauth.tokenUrl,
        form: { grant_type: grantType, client_id: this.oauth.clientId, ...fields },
        operation,
        ...(call.signal ? { signal: call.signal } : {}),
      });
      data = res.data;
      requestId = res.requestId;
    } catch (err) {
      if (opts.refusedIsGrantInvalid && err instanceof Xs2aError && err.kind === 'token_invalid') {
        throw new Xs2aError(
          `${this.profile.id} ${operation}: refresh token refused (${err.codes.join(', ') || `HTTP ${err.status}`})`,
          {
            kind: 'grant_invalid',
            status: err.status,
            tppMessages: err.tppMessages,
            requestId: err.requestId,
            operation,
            aspsp: this.profile.id,
            cause: err,
          },
        );
      }
      throw err;
    }

    // Some servers answer an OAuth error with 200; treat it like the 4xx it means.
    if (data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string') {
      throw errorFromResponse({ status: 400, body: data, requestId, operation, aspsp: this.profile.id });
    }

    const parsed = tokenResponseSchema.safeParse(data);
    if (!parsed.success) {
      const field = fieldPath(parsed.error.issues[0]?.path ?? []);
      // Name the field only: the body holds the tokens and must never reach a message.
      throw new Xs2aError(`${this.profile.id} ${operation}: token response invalid at ${field}`, {
        kind: 'invalid_response',
        field,
        requestId,
        operation,
        aspsp: this.profile.id,
      });
    }
    const t = parsed.data;
    // Where the bank does not say (or says 0, which some servers use for "no fixed lifetime"), the
    // profile's default lifetime applies to a refresh token it issued.
    const refreshLifetimeMs = t.refresh_expires_in
      ? t.refresh_expires_in * 1000
      : t.refresh_token !== undefined
        ? this.oauth.refreshTokenLifetimeMs
        : undefined;
    return {
      accessToken: t.access_token,
      tokenType: t.token_type,
      // From when we asked, not when the answer arrived: errs on the side of refreshing early.
      expiresAt: requestedAt + t.expires_in * 1000,
      ...(t.refresh_token !== undefined ? { refreshToken: t.refresh_token } : {}),
      ...(refreshLifetimeMs !== undefined ? { refreshExpiresAt: requestedAt + refreshLifetimeMs } : {}),
      ...(t.scope !== undefined ? { scope: t.scope } : {}),
    };
  }
}

/** True when the access token expires within marginMs (or already has). */
export function tokenNeedsRefresh(
  tokens: Pick<TokenSet, 'expiresAt'>,
  marginMs: number,
  now: number = Date.now(),
): boolean {
  return tokens.expiresAt - marginMs <= now;
}
