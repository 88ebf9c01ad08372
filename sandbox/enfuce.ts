import { z } from 'zod';
import { aisRoutes, requireUsableConsent } from './ais';
import type { BankRuntime, Route, RouteRequest } from './bank-server';
import { consentJson, createConsentFrom, ownConsent } from './consents';
import { ApiFailure, OAuthFailure, redirect, sendHtml, sendJson, sendNoContent } from './http';
import { consentPage, messagePage } from './psu-pages';
import { S256_CHALLENGE, SandboxStateError, type IssuedTokens, type SandboxBankId, type TokenInfo } from './state';

/** Enfuce (Rocker, ST1 Finance): card accounts, OAuth2 integrated SCA with PKCE. */

export function enfuceBankName(bank: SandboxBankId): string {
  return bank === 'enfuce-st1' ? 'ST1 Finance' : 'Rocker';
}

export function defaultApiKey(bank: SandboxBankId): string {
  return `sandbox-${bank}-key`;
}

const redirectUriSchema = z
  .string()
  .url()
  .refine((v) => /^https?:/i.test(v), 'must be an http(s) URL');

export const authorizationParamsSchema = z.object({
  response_type: z.literal('code'),
  client_id: z.string().min(1).max(200),
  scope: z.string().regex(/^AIS:[A-Za-z0-9._~-]{1,200}$/, 'must be AIS:<consentId>'),
  state: z.string().min(1).max(500),
  redirect_uri: redirectUriSchema,
  // Exactly what OAuthStore accepts, so an approved consent always gets its code.
  code_challenge: z.string().regex(S256_CHALLENGE, 'must be a base64url S256 challenge (43 characters)'),
  code_challenge_method: z.literal('S256'),
});
type AuthorizationParams = z.infer<typeof authorizationParamsSchema>;

const tokenFormSchema = z.discriminatedUnion('grant_type', [
  z.object({ grant_type: z.literal('client_credentials'), client_id: z.string().min(1), scope: z.string().optional() }),
  z.object({
    grant_type: z.literal('authorization_code'),
    client_id: z.string().min(1),
    code: z.string().min(1),
    code_verifier: z.string().min(43).max(128),
    redirect_uri: redirectUriSchema,
  }),
  z.object({ grant_type: z.literal('refresh_token'), client_id: z.string().min(1), refresh_token: z.string().min(1) }),
]);

function orgId(r: RouteRequest): string {
  return r.qwac!.info.organizationIdentifier!;
}

function bearerToken(r: RouteRequest): string {
  const auth = r.header('authorization');
  const m = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  if (!m) throw new ApiFailure(401, 'TOKEN_INVALID', 'Authorization: Bearer <access token> is required');
  return m[1];
}

/** The access token of the request, issued to this QWAC's organisation, of the expected kind. */
function requireToken(r: RouteRequest, rt: BankRuntime, kinds: readonly TokenInfo['kind'][]): TokenInfo {
  const info = rt.state.inspectAccessToken(bearerToken(r));
  if ('error' in info) {
    throw new ApiFailure(
      401,
      info.error,
      info.error === 'TOKEN_EXPIRED' ? 'The access token has expired' : 'The access token is not valid',
    );
  }
  if (info.clientId !== orgId(r))
    throw new ApiFailure(401, 'TOKEN_INVALID', 'The access token was issued to another client');
  if (!kinds.includes(info.kind)) {
    throw new ApiFailure(
      401,
      'TOKEN_INVALID',
      info.kind === 'client'
        ? 'This service needs a PSU access token (authorization_code grant)'
        : 'This service needs a client-credentials token',
    );
  }
  return info;
}

function tokenResponse(r: RouteRequest, tokens: IssuedTokens): void {
  sendJson(r.res, 200, tokens, { 'cache-control': 'no-store', pragma: 'no-cache' });
}

export function enfuceRoutes(bank: SandboxBankId): Route[] {
  const name = enfuceBankName(bank);

  /** Card data reads: a PSU token bound to the Consent-ID sent, then the consent's status, then frequencyPerDay. */
  const readConsent = (r: RouteRequest, rt: BankRuntime) => {
    const token = requireToken(r, rt, ['psu']);
    const consentId = r.header('consent-id') ?? '';
    if (token.consentId !== consentId)
      throw new ApiFailure(401, 'TOKEN_INVALID', `The access token is not bound to consent ${consentId}`);
    return requireUsableConsent(rt, consentId, orgId(r));
  };

  const showAuthorizationPage = (
    r: RouteRequest,
    rt: BankRuntime,
    params: AuthorizationParams,
    psu?: string,
    error?: string,
  ) => {
    const consentId = params.scope.slice('AIS:'.length);
    const consent = rt.state.getConsent(consentId);
    if (!consent || consent.tppOrgId !== params.client_id) {
      sendHtml(
        r.res,
        400,
        messagePage('card-issuer', name, 'Unknown consent', 'The consent in scope is not known for this client.'),
      );
      return undefined;
    }
    if (consent.status !== 'received') {
      sendHtml(
        r.res,
        409,
        messagePage('card-issuer', name, 'Already decided', `This consent has status ${consent.status}.`),
      );
      return undefined;
    }
    if (psu === undefined || error !== undefined) {
      const hidden: Record<string, string> = { ...params };
      const html = consentPage(
        {
          look: 'card-issuer',
          bankName: name,
          tppName: rt.side.consentTpp.get(consentId)?.name ?? consent.tppOrgId,
          psus: rt.state.testPsus(),
          psu,
          error,
          hidden,
        },
        consent,
      );
      sendHtml(r.res, error ? 400 : 200, html);
      return undefined;
    }
    return consent;
  };

  const parseAuthorizationParams = (
    r: RouteRequest,
    source: Record<string, unknown>,
  ): AuthorizationParams | undefined => {
    const parsed = authorizationParamsSchema.safeParse(source);
    if (!parsed.success) {
      const text = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      sendHtml(r.res, 400, messagePage('card-issuer', name, 'Invalid authorisation request', text));
      return undefined;
    }
    return parsed.data;
  };

  return [
    {
      method: 'GET',
      pattern: '/.well-known/oauth-authorization-server',
      kind: 'psu',
      handle(r, rt) {
        sendJson(r.res, 200, {
          issuer: rt.origin,
          authorization_endpoint: `${rt.origin}/v1/authorizations`,
          token_endpoint: `${rt.origin}/v1/token`,
          response_types_supported: ['code'],
          grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['tls_client_auth'],
        });
      },
    },
    {
      method: 'POST',
      pattern: '/v1/token',
      kind: 'token',
      role: 'PSP_AI',
      handle(r, rt) {
        const fields = Object.fromEntries(r.form!.entries());
        if (!fields.grant_type) throw new OAuthFailure(400, 'invalid_request', 'grant_type is required');
        if (!['client_credentials', 'authorization_code', 'refresh_token'].includes(fields.grant_type)) {
          throw new OAuthFailure(
            400,
            'unsupported_grant_type',
            `grant_type ${fields.grant_type.slice(0, 40)} is not supported`,
          );
        }
        const parsed = tokenFormSchema.safeParse(fields);
        if (!parsed.success) {
          throw new OAuthFailure(
            400,
            'invalid_request',
            parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
          );
        }
        const form = parsed.data;
        // tls_client_auth (RFC 8705): the client is the QWAC's organisation.
        if (form.client_id !== orgId(r))
          throw new OAuthFailure(401, 'invalid_client', 'client_id does not match the TLS client certificate');
        try {
          switch (form.grant_type) {
            case 'client_credentials':
              return tokenResponse(r, rt.state.issueClientToken(form.client_id));
            case 'authorization_code':
              return tokenResponse(
                r,
                rt.state.redeemAuthorisationCode({
                  clientId: form.client_id,
                  code: form.code,
                  codeVerifier: form.code_verifier,
                  redirectUri: form.redirect_uri,
                }),
              );
            case 'refresh_token':
              return tokenResponse(
                r,
                rt.state.refreshTokens({ clientId: form.client_id, refreshToken: form.refresh_token }),
              );
          }
        } catch (err) {
          if (err instanceof SandboxStateError) {
            const known = ['invalid_grant', 'invalid_request', 'invalid_client'] as const;
            const code = (known as readonly string[]).includes(err.code)
              ? (err.code as (typeof known)[number])
              : 'invalid_grant';
            throw new OAuthFailure(code === 'invalid_client' ? 401 : 400, code, err.message);
          }
          throw err;
        }
      },
    },
    {
      method: 'GET',
      pattern: '/v1/authorizations',
      kind: 'psu',
      handle(r, rt) {
        const params = parseAuthorizationParams(r, r.query);
        if (params) showAuthorizationPage(r, rt, params);
      },
    },
    {
      method: 'POST',
      pattern: '/v1/authorizations',
      kind: 'psu',
      handle(r, rt) {
        const fields = Object.fromEntries(r.form?.entries() ?? []);
        const { psu = '', decision, ...rest } = fields;
        const params = parseAuthorizationParams(r, rest);
        if (!params) return;
        if (decision !== 'approve' && decision !== 'deny')
          return void showAuthorizationPage(r, rt, params, psu, 'Choose Approve or Deny');
        if (!rt.state.testPsus().some((p) => p.id === psu))
          return void showAuthorizationPage(r, rt, params, psu, `Unknown card holder "${psu}"`);
        const consent = showAuthorizationPage(r, rt, params, psu);
        if (!consent) return;
        const target = new URL(params.redirect_uri);
        try {
          const decided = rt.state.decideConsent(consent.consentId, psu, decision);
          if (decided.status === 'valid') {
            const code = rt.state.issueAuthorisationCode({
              clientId: params.client_id,
              consentId: consent.consentId,
              psuId: psu,
              redirectUri: params.redirect_uri,
              codeChallenge: params.code_challenge,
              codeChallengeMethod: 'S256',
            });
            target.searchParams.set('code', code);
          } else {
            target.searchParams.set('error', 'access_denied');
          }
        } catch (err) {
          if (err instanceof SandboxStateError) return void showAuthorizationPage(r, rt, params, psu, err.message);
          throw err;
        }
        target.searchParams.set('state', params.state);
        redirect(r.res, target.toString());
      },
    },
    {
      method: 'POST',
      pattern: '/consent/v1/consents',
      kind: 'api',
      role: 'PSP_AI',
      specPath: () => '/v1/consents',
      handle(r, rt) {
        if (r.header('x-api-key') !== rt.apiKey)
          throw new ApiFailure(401, 'TOKEN_INVALID', 'X-API-Key is missing or not valid');
        requireToken(r, rt, ['client']);
        const consent = createConsentFrom(r, rt);
        const self = `/consent/v1/consents/${consent.consentId}`;
        sendJson(
          r.res,
          201,
          {
            consentStatus: consent.status,
            consentId: consent.consentId,
            _links: {
              scaOAuth: { href: `${rt.origin}/.well-known/oauth-authorization-server` },
              self: { href: self },
              status: { href: `${self}/status` },
            },
          },
          { ...r.responseHeaders, location: `${rt.origin}${self}`, 'aspsp-sca-approach': 'REDIRECT' },
        );
      },
    },
    {
      method: 'GET',
      pattern: '/consent/v1/consents/:consentId',
      kind: 'api',
      role: 'PSP_AI',
      specPath: (r) => `/v1/consents/${r.params.consentId}`,
      handle(r, rt) {
        requireToken(r, rt, ['client', 'psu']);
        sendJson(r.res, 200, consentJson(ownConsent(rt, r, r.params.consentId)), r.responseHeaders);
      },
    },
    {
      method: 'GET',
      pattern: '/consent/v1/consents/:consentId/status',
      kind: 'api',
      role: 'PSP_AI',
      specPath: (r) => `/v1/consents/${r.params.consentId}/status`,
      handle(r, rt) {
        requireToken(r, rt, ['client', 'psu']);
        sendJson(r.res, 200, { consentStatus: ownConsent(rt, r, r.params.consentId).status }, r.responseHeaders);
      },
    },
    {
      method: 'DELETE',
      pattern: '/consent/v1/consents/:consentId',
      kind: 'api',
      role: 'PSP_AI',
      specPath: (r) => `/v1/consents/${r.params.consentId}`,
      handle(r, rt) {
        requireToken(r, rt, ['client', 'psu']);
        rt.state.revokeConsent(ownConsent(rt, r, r.params.consentId).consentId, 'tpp');
        sendNoContent(r.res, r.responseHeaders);
      },
    },
    ...aisRoutes({ prefix: '/card-account', flavour: 'card-accounts', readConsent }),
  ];
}
