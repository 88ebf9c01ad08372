import { BEC_SIGNATURE_STYLE } from '../../xs2a/signing/styles';
import type { BankEnvironment, BankProfile } from '../../xs2a/profiles/types';
import { trimSlash } from '../base-url';

export interface BecProfileOptions {
  /** The bank's registration number in BEC's shared API, e.g. '0400'. */
  bankId: string;
  environment: BankEnvironment;
  /** Overrides the default host, e.g. the local sandbox bank. */
  baseUrl?: string;
  /**
   * Our ASPSP id for this member bank (API, database). Default 'bec' (one member bank, as before);
   * the profiles file defaults to `bec-<bankId>` so that several member banks can be configured.
   */
  id?: string;
  /** The member bank's name shown in /v1/aspsps. */
  name?: string;
}

/**
 * Placeholders until onboarding: BEC publishes one API for many Danish banks and the
 * bank is part of the path. The real hosts are to be confirmed with BEC's onboarding
 * material; tests and the demo always pass the local sandbox's baseUrl instead.
 */
const BEC_DEFAULT_HOSTS: Record<BankEnvironment, string> = {
  production: 'https://api.bec.dk/psd2',
  sandbox: 'https://sandbox-api.bec.dk/psd2',
};

export function becProfile(opts: BecProfileOptions): BankProfile {
  return {
    id: opts.id ?? 'bec',
    name: opts.name ?? 'BEC (Danish banks)',
    country: 'DK',
    environment: opts.environment,
    services: ['ais', 'pis', 'piis'],
    family: 'bec',
    scaApproach: 'redirect',
    baseUrl: trimSlash(opts.baseUrl ?? `${BEC_DEFAULT_HOSTS[opts.environment]}/${encodeURIComponent(opts.bankId)}`),
    paths: {
      consents: '/v1/consents',
      accounts: '/v1/accounts',
      accountKind: 'accounts',
      payments: '/v1/payments',
      fundsConfirmations: '/v1/funds-confirmations',
      enrolment: '/v1/enrolment',
    },
    // 1.3.12 PSU-IP-Address is format: ipv4; the bank answers IPv6 with 400 FORMAT_ERROR.
    psuIpv6: false,
    signature: BEC_SIGNATURE_STYLE,
    consent: { maxValidityDays: 180, defaultFrequencyPerDay: 4, transactionHistoryDays: 730 },
    bankId: opts.bankId,
    hooks: {
      // BEC's banks (Spar Nord, Lagernes Bank, Andelskassen …) leave the remittance fields empty
      // and put the transaction's text in additionalInformation.
      transactionDescription: ({ remittance, additionalInformation }) => remittance ?? additionalInformation,
    },
  };
}
