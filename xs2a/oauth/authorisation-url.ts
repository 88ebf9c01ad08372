import { Xs2aError } from '../errors';
import type { BankProfile } from '../profiles/types';

export interface AuthorisationUrlInput {
  consentId: string;
  state: string;
  codeChallenge: string;
  redirectUri: string;
}

/**
 * The URL the PSU's browser opens for the OAuth2 integrated approach: the consent is
 * bound through scope=AIS:<consentId>, PKCE through the S256 challenge.
 */
export function buildAuthorisationUrl(profile: BankProfile, input: AuthorisationUrlInput): string {
  if (!profile.oauth) {
    throw new Xs2aError(`Bank profile ${profile.id} has no OAuth settings: it cannot build an authorisation URL`, {
      kind: 'configuration',
      aspsp: profile.id,
    });
  }
  const url = new URL(profile.oauth.authorizeUrl);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: profile.oauth.clientId,
    scope: `AIS:${input.consentId}`,
    state: input.state,
    redirect_uri: input.redirectUri,
    code_challenge: input.codeChallenge,
    code_challenge_method: 'S256',
  };
  // set(), not append(): a parameter already in the configured URL must not be sent twice.
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}
