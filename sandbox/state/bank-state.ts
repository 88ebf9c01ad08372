import { SandboxStateError } from './errors';
import type {
  AccessCheck,
  ConsentRecord,
  IssuedTokens,
  PaymentRecord,
  SandboxAccount,
  SandboxBalance,
  SandboxBankId,
  SandboxClock,
  SandboxSettings,
  SandboxTransaction,
  TestPsu,
  TokenInfo,
  TransactionQuery,
} from './types';

export { SandboxStateError };
export { createSandboxClock } from './clock';

const notYet = (): never => {
  throw new SandboxStateError('INTERNAL', 'not implemented yet');
};

export class BankState {
  readonly bank: SandboxBankId;
  settings: SandboxSettings;

  constructor(opts: { bank: SandboxBankId; clock: SandboxClock; settings?: Partial<SandboxSettings>; seed?: string }) {
    this.bank = opts.bank;
    this.settings = {
      pendingToBooked: 'same-id',
      resourceIdsPerConsent: false,
      accessTokenTtlMs: 3_600_000,
      refreshTokenTtlMs: 90 * 86_400_000,
      transactionsPageSize: 100,
      enforceFrequencyPerDay: true,
      ...opts.settings,
    };
  }

  updateSettings(patch: Partial<SandboxSettings>): void {
    this.settings = { ...this.settings, ...patch };
  }
  testPsus(): TestPsu[] {
    return notYet();
  }
  createConsent(_input: Omit<ConsentRecord, 'consentId' | 'status' | 'createdAt' | 'lastActionDate' | 'bank'>): ConsentRecord {
    return notYet();
  }
  getConsent(_consentId: string): ConsentRecord | undefined {
    return notYet();
  }
  decideConsent(_consentId: string, _psuId: string, _decision: 'approve' | 'deny'): ConsentRecord {
    return notYet();
  }
  revokeConsent(_consentId: string, _by: 'psu' | 'tpp'): ConsentRecord {
    return notYet();
  }
  countAccess(_consentId: string, _endpoint: string, _psuPresent: boolean): AccessCheck {
    return notYet();
  }
  accounts(_consentId: string): SandboxAccount[] {
    return notYet();
  }
  account(_consentId: string, _resourceId: string): SandboxAccount | undefined {
    return notYet();
  }
  balances(_consentId: string, _resourceId: string): SandboxBalance[] {
    return notYet();
  }
  transactions(_consentId: string, _resourceId: string, _query: TransactionQuery): SandboxTransaction[] {
    return notYet();
  }
  issueClientToken(_clientId: string): IssuedTokens {
    return notYet();
  }
  issueAuthorisationCode(_input: { clientId: string; consentId: string; psuId: string; redirectUri: string; codeChallenge: string; codeChallengeMethod: 'S256' }): string {
    return notYet();
  }
  redeemAuthorisationCode(_input: { clientId: string; code: string; codeVerifier: string; redirectUri: string }): IssuedTokens {
    return notYet();
  }
  refreshTokens(_input: { clientId: string; refreshToken: string }): IssuedTokens {
    return notYet();
  }
  inspectAccessToken(_token: string): TokenInfo | { error: 'TOKEN_INVALID' | 'TOKEN_EXPIRED' } {
    return notYet();
  }
  enrolCertificate(_input: { tppOrgId: string; certificateDerBase64: string; serialNumber: string }): { enrolmentId: string; status: 'enrolled' } {
    return notYet();
  }
  isEnrolled(_certificateDerBase64: string): boolean {
    return notYet();
  }
  createPayment(_input: Omit<PaymentRecord, 'paymentId' | 'status' | 'createdAt'>): PaymentRecord {
    return notYet();
  }
  decidePayment(_paymentId: string, _psuId: string, _decision: 'approve' | 'deny'): PaymentRecord {
    return notYet();
  }
  getPayment(_paymentId: string): PaymentRecord | undefined {
    return notYet();
  }
  confirmFunds(_input: { iban?: string; maskedPan?: string; amount: string; currency: string }): boolean | undefined {
    return notYet();
  }
}
