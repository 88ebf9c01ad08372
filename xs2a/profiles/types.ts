import type { PemPair } from '../certs/types';
import type { SignatureStyle } from '../signing/types';

export type Xs2aService = 'ais' | 'pis' | 'piis';
export type BankEnvironment = 'sandbox' | 'production';

/**
 * A bank as data plus small hooks. Pointing `baseUrl` (and the OAuth URLs) at a
 * sandbox bank is the only difference between a test and production.
 */
export interface BankProfile {
  /** Stable id used in our API and database: 'bec', 'enfuce-rocker', 'enfuce-st1', or a generic profile's id. */
  id: string;
  name: string;
  country: string;
  environment: BankEnvironment;
  services: Xs2aService[];
  /** Which preset built the profile: 'bec', 'enfuce', or 'berlin-group' for a generic profile file (banks/). */
  family: string;
  /** redirect: scaRedirect link + TPP-Redirect-URI; oauth2-integrated: client-credentials, consent, authorise with PKCE, token. */
  scaApproach: 'redirect' | 'oauth2-integrated';
  /** Everything in `paths` is appended to this, e.g. "https://127.0.0.1:8443/psd2/0400". */
  baseUrl: string;
  paths: {
    consents: string; // '/v1/consents' (BEC) | '/consent/v1/consents' (Enfuce)
    accounts: string; // '/v1/accounts' (BEC) | '/card-account/v1/card-accounts' (Enfuce)
    accountKind: 'accounts' | 'card-accounts';
    payments?: string; // '/v1/payments'
    fundsConfirmations?: string; // '/v1/funds-confirmations'
    enrolment?: string; // BEC: '/v1/enrolment'
  };
  oauth?: {
    tokenUrl: string; // absolute
    authorizeUrl: string; // absolute; the PSU's browser goes here
    clientId: string;
    /** Sent as X-API-Key on the consent endpoint where the bank wants one (Enfuce). */
    apiKey?: string;
    /**
     * How long a refresh token lives when the token response does not say (no refresh_expires_in).
     * Absent: unknown, and the refresh token is not expected to lapse before the consent.
     */
    refreshTokenLifetimeMs?: number;
  };
  signature: SignatureStyle;
  consent: {
    maxValidityDays: number; // BEC 180, Enfuce 90
    defaultFrequencyPerDay: number; // 4
    /** How far back the bank serves transactions on the first sync (days). */
    transactionHistoryDays: number;
  };
  /** The bank's request budget, enforced on our side. */
  rateLimit?: { perSecond: number; perDay: number };
  /**
   * Whether the bank takes an IPv6 PSU-IP-Address. Berlin Group 1.3.12 declares the header
   * `format: ipv4` and BEC's and Enfuce's sandboxes refuse IPv6 (400 FORMAT_ERROR), so the
   * default is false: an IPv4-mapped address is sent as IPv4, any other IPv6 address is not sent.
   */
  psuIpv6?: boolean;
  /** BEC: the bank's registration number in the shared API. */
  bankId?: string;
  /** Only for what data cannot say. */
  hooks?: {
    /** Extra headers for a given operation, e.g. a bank-specific one on consent creation. */
    extraHeaders?(operation: string): Record<string, string>;
    /**
     * The text products see for an account transaction (Transaction.description) where the bank
     * does not put it in the remittance fields; default: the remittance text. BEC's banks write it
     * in additionalInformation and leave remittance empty.
     */
    transactionDescription?: (text: TransactionText) => string | undefined;
  };
}

/** A transaction's free text as the bank sent it, for BankProfile.hooks.transactionDescription. */
export interface TransactionText {
  /** remittanceInformationUnstructured, else the lines of remittanceInformationUnstructuredArray; never empty. */
  remittance?: string;
  additionalInformation?: string;
}

/** The TPP's certificates for one bank and the bank's server CA. */
export interface TppCredentials {
  qwac: PemPair;
  qseal: PemPair;
  /** PEM bundle the bank's TLS server certificate must chain to. */
  bankCaPem: string;
}
