/** The sandbox banks' state and data contract, shared by the HTTP layer (C1) and the state (C2). */

export type SandboxBankId = 'bec' | 'enfuce-rocker' | 'enfuce-st1';

export interface SandboxClock {
  now(): Date;
  advance(ms: number): void;
  set(date: Date): void;
}

/**
 * Addition: the clock `createSandboxClock` returns. Its state is one offset from real time, read
 * and restored so an advanced clock stays advanced across a restart. A separate interface so hand-made
 * test clocks that only implement SandboxClock keep compiling.
 */
export interface OffsetSandboxClock extends SandboxClock {
  /** Sandbox time minus real time, in ms. */
  offsetMs(): number;
  /** Throws RangeError for a non-finite offset. */
  setOffset(ms: number): void;
}

export interface SandboxSettings {
  /** When a pending transaction books, keep its transactionId or issue a new one. */
  pendingToBooked: 'same-id' | 'new-id';
  /** true: account resourceIds differ per consent (seen in the wild); default false. */
  resourceIdsPerConsent: boolean;
  /** Default 3_600_000. */
  accessTokenTtlMs: number;
  /** Default 90 days. */
  refreshTokenTtlMs: number;
  /** Default 100. */
  transactionsPageSize: number;
  /** Default true. */
  enforceFrequencyPerDay: boolean;
}

export interface TestPsu {
  id: string;
  name: string;
  bank: SandboxBankId;
}

export interface ConsentRecord {
  consentId: string;
  bank: SandboxBankId;
  bankId?: string;
  tppOrgId: string;
  status: 'received' | 'valid' | 'rejected' | 'expired' | 'revokedByPsu' | 'terminatedByTpp';
  access: unknown;
  recurringIndicator: boolean;
  /** YYYY-MM-DD, inclusive; capped to the bank's maximum at creation. */
  validUntil: string;
  frequencyPerDay: number;
  combinedServiceIndicator: boolean;
  psuId?: string;
  redirectUri?: string;
  nokRedirectUri?: string;
  createdAt: string;
  lastActionDate: string;
}

/** What the API lists (C1 shapes it into Berlin Group JSON). */
export interface SandboxAccount {
  resourceId: string;
  kind: 'account' | 'card-account';
  iban?: string;
  bban?: string;
  maskedPan?: string;
  currency: string;
  name: string;
  product: string;
  ownerName: string;
  cashAccountType?: string;
  status: 'enabled';
  creditLimit?: { amount: string; currency: string };
}

export interface SandboxBalance {
  balanceType: string;
  balanceAmount: { amount: string; currency: string };
  referenceDate?: string;
  lastChangeDateTime?: string;
  creditLimitIncluded?: boolean;
}

export interface SandboxTransaction {
  transactionId: string;
  entryReference?: string;
  bookingStatus: 'booked' | 'pending';
  bookingDate?: string;
  valueDate?: string;
  transactionDate: string;
  transactionAmount: { amount: string; currency: string };
  creditorName?: string;
  debtorName?: string;
  remittanceInformationUnstructured?: string;
  maskedPan?: string;
  cardAcceptorId?: string;
  merchantCategoryCode?: string;
}

export interface TransactionQuery {
  bookingStatus: 'booked' | 'pending' | 'both';
  dateFrom: string;
  dateTo?: string;
}

export type AccessCheck = { allowed: true; used: number } | { allowed: false; used: number };

export interface TokenInfo {
  kind: 'client' | 'psu';
  clientId: string;
  consentId?: string;
  psuId?: string;
  /** Epoch milliseconds on the sandbox clock. */
  expiresAt: number;
}

export interface IssuedTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token?: string;
  refresh_expires_in?: number;
  scope?: string;
}

export interface PaymentRecord {
  paymentId: string;
  product: string;
  /**
   * RCVD until the PSU decides; then by product: SEPA ACTC (ACSC later), instant ACSC at once,
   * cross-border ACSP (ACSC later); RJCT on denial or insufficient funds; CANC when the TPP deletes
   * it before authorisation.
   */
  status: 'RCVD' | 'ACTC' | 'ACSP' | 'ACSC' | 'RJCT' | 'CANC';
  debtorIban: string;
  amount: string;
  currency: string;
  creditorIban?: string;
  creditorName: string;
  psuId?: string;
  redirectUri: string;
  nokRedirectUri: string;
  createdAt: string;
  /** Addition: why a payment is RJCT (e.g. "insufficient funds"); never contains secrets. */
  statusReason?: string;
}
