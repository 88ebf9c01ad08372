import { ENFUCE_SIGNATURE_STYLE } from '../../xs2a/signing/styles';
import type { BankEnvironment, BankProfile } from '../../xs2a/profiles/types';
import { trimSlash } from '../base-url';

export type EnfuceIssuer = 'rocker' | 'st1';

export interface EnfuceProfileOptions {
  issuer: EnfuceIssuer;
  environment: BankEnvironment;
  /** Overrides the default host, e.g. the local sandbox bank. */
  baseUrl?: string;
  clientId: string;
  apiKey?: string;
}

interface IssuerFacts {
  name: string;
  country: string;
  /** Placeholders until onboarding; to be confirmed with Enfuce per issuer. */
  hosts: Record<BankEnvironment, string>;
}

const ISSUERS: Record<EnfuceIssuer, IssuerFacts> = {
  rocker: {
    name: 'Rocker',
    country: 'SE',
    hosts: { production: 'https://psd2.rocker.enfuce.com', sandbox: 'https://psd2-sandbox.rocker.enfuce.com' },
  },
  st1: {
    name: 'ST1 Finance',
    country: 'FI',
    hosts: { production: 'https://psd2.st1.enfuce.com', sandbox: 'https://psd2-sandbox.st1.enfuce.com' },
  },
};

/**
 * A refresh token's lifetime where the token response does not say (refresh_expires_in). A guess
 * on the safe side until onboarding confirms it: too short costs one token call when syncs are
 * further apart than it, too long would lose the connection.
 */
const REFRESH_TOKEN_LIFETIME_MS = 30 * 86_400_000;

/** Enfuce's published sandbox budget; production limits are not known yet, so none is enforced. */
const SANDBOX_RATE_LIMIT = { perSecond: 5, perDay: 1000 };

/** An Enfuce card issuer: AIS on card accounts, OAuth2 integrated approach with PKCE. */
export function enfuceProfile(opts: EnfuceProfileOptions): BankProfile {
  const issuer = ISSUERS[opts.issuer];
  const baseUrl = trimSlash(opts.baseUrl ?? issuer.hosts[opts.environment]);
  return {
    id: `enfuce-${opts.issuer}`,
    name: issuer.name,
    country: issuer.country,
    environment: opts.environment,
    services: ['ais'],
    family: 'enfuce',
    scaApproach: 'oauth2-integrated',
    baseUrl,
    paths: {
      consents: '/consent/v1/consents',
      accounts: '/card-account/v1/card-accounts',
      accountKind: 'card-accounts',
    },
    oauth: {
      tokenUrl: `${baseUrl}/v1/token`,
      authorizeUrl: `${baseUrl}/v1/authorizations`,
      clientId: opts.clientId,
      ...(opts.apiKey !== undefined ? { apiKey: opts.apiKey } : {}),
      refreshTokenLifetimeMs: REFRESH_TOKEN_LIFETIME_MS,
    },
    // 1.3.12 PSU-IP-Address is format: ipv4; the bank answers IPv6 with 400 FORMAT_ERROR.
    psuIpv6: false,
    signature: ENFUCE_SIGNATURE_STYLE,
    consent: { maxValidityDays: 90, defaultFrequencyPerDay: 4, transactionHistoryDays: 730 },
    ...(opts.environment === 'sandbox' ? { rateLimit: { ...SANDBOX_RATE_LIMIT } } : {}),
  };
}
