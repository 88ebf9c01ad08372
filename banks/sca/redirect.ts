import { Xs2aError } from '../../xs2a/errors';
import type { Xs2aClient } from '../../xs2a/operations/client';
import type { TokenSet } from '../../xs2a/operations/types';
import type { PsuAccessToken, ScaFlow, StartConsentInput, StartedConsent } from './types';

/**
 * The redirect approach (BEC): the consent request names where the PSU comes back
 * (TPP-Redirect-URI with our state, TPP-Nok-Redirect-URI with error=access_denied) and
 * the bank answers with the scaRedirect link. No tokens: the consent id authorises reads.
 */
export class RedirectScaFlow implements ScaFlow {
  readonly approach = 'redirect' as const;
  readonly exchangesCode = false;
  readonly canRefreshOnTokenInvalid = false;

  constructor(private readonly client: Xs2aClient) {}

  async startConsent(input: StartConsentInput): Promise<StartedConsent> {
    const callback = new URL(input.callbackUrl);
    callback.searchParams.set('state', input.state);
    const nok = new URL(callback);
    nok.searchParams.set('error', 'access_denied');
    const consent = await this.client.createConsent(input.request, {
      psuIpAddress: input.psuIpAddress,
      redirectUri: callback.toString(),
      nokRedirectUri: nok.toString(),
    });
    if (!consent.scaRedirect) {
      throw new Xs2aError('the bank answered the consent without an scaRedirect link', {
        kind: 'invalid_response',
        aspsp: this.client.profile.id,
        field: '_links.scaRedirect',
      });
    }
    return { consent, authorisationUrl: consent.scaRedirect };
  }

  consentAccessToken(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  withClientToken<T>(_now: number, call: (accessToken: string | undefined) => Promise<T>): Promise<T> {
    return call(undefined);
  }

  completeAuthorisation(): Promise<TokenSet> {
    return Promise.reject(
      new Xs2aError(`${this.client.profile.id} uses the redirect SCA approach: there is no code to exchange`, {
        kind: 'configuration',
        aspsp: this.client.profile.id,
      }),
    );
  }

  psuAccessToken(): Promise<PsuAccessToken> {
    return Promise.resolve({ accessToken: undefined });
  }
}
