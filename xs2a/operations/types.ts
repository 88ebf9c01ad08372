/** Normalised XS2A data, the same for payment accounts (BEC) and card accounts (Enfuce). */

export interface Amount {
  /** Decimal string exactly as the bank sent it ("-123.45"); never a float. */
  amount: string;
  currency: string;
}

export interface Balance {
  balanceType: string; // closingBooked, expected, interimAvailable, interimBooked, authorised, ...
  balanceAmount: Amount;
  referenceDate?: string;
  lastChangeDateTime?: string;
  creditLimitIncluded?: boolean;
}

export interface Account {
  /** The bank's id for the account under this consent: may change on re-consent. */
  resourceId: string;
  kind: 'account' | 'card-account';
  iban?: string;
  bban?: string;
  /** Card accounts: "524378******8693" style as the bank writes it. */
  maskedPan?: string;
  currency: string;
  name?: string;
  product?: string;
  ownerName?: string;
  cashAccountType?: string;
  status?: string;
  creditLimit?: Amount;
  balances?: Balance[];
}

export type BookingStatus = 'booked' | 'pending';

export interface Transaction {
  transactionId?: string;
  entryReference?: string;
  bookingStatus: BookingStatus;
  bookingDate?: string;
  valueDate?: string;
  transactionDate?: string;
  transactionAmount: Amount;
  creditorName?: string;
  debtorName?: string;
  remittanceInformationUnstructured?: string;
  /** The bank's additionalInformation (free text; where BEC's banks put the transaction's text). */
  additionalInformation?: string;
  /** The text products see: the remittance text, or what the bank profile takes instead (hooks.transactionDescription). */
  description?: string;
  /** Card transactions */
  cardAcceptorId?: string;
  maskedPan?: string;
  /** What the bank sent, for fields we do not model. */
  raw: Record<string, unknown>;
}

export interface TransactionPage {
  transactions: Transaction[];
  /** The next page's href when the bank paged the list. */
  next?: string;
  pageNumber: number;
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  tokenType: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  refreshExpiresAt?: number;
  scope?: string;
}

export type ConsentStatus =
  'received' | 'rejected' | 'valid' | 'revokedByPsu' | 'expired' | 'terminatedByTpp' | 'partiallyAuthorised';

export interface ConsentAccess {
  /** Explicit accounts, or the bank-offered forms below. */
  accounts?: { iban?: string; maskedPan?: string; currency?: string }[];
  balances?: { iban?: string; maskedPan?: string; currency?: string }[];
  transactions?: { iban?: string; maskedPan?: string; currency?: string }[];
  availableAccounts?: 'allAccounts' | 'allAccountsWithOwnerName';
  allPsd2?: 'allAccounts' | 'allAccountsWithOwnerName';
}

export interface CreateConsentInput {
  access: ConsentAccess;
  recurringIndicator: boolean;
  /** ISO date, YYYY-MM-DD. */
  validUntil: string;
  frequencyPerDay: number;
  combinedServiceIndicator: boolean;
}

export interface ConsentCreated {
  consentId: string;
  consentStatus: ConsentStatus;
  /** Redirect approach: where the PSU goes for SCA. */
  scaRedirect?: string;
}

export interface ConsentDetails {
  consentId: string;
  consentStatus: ConsentStatus;
  validUntil: string;
  frequencyPerDay: number;
  recurringIndicator: boolean;
  lastActionDate?: string;
  access: ConsentAccess;
}

/** Who is asking: the consent, the PSU's token where the bank uses OAuth, and the PSU's IP when present. */
export interface AisContext {
  consentId: string;
  accessToken?: string;
  psuIpAddress?: string;
  /** Counted unattended reads need the consent's frequencyPerDay. */
  frequencyPerDay?: number;
  /** Cancels the call (e.g. Temporal's activity cancellation): passed to every transport request it makes. */
  signal?: AbortSignal;
}

export interface PaymentInitiation {
  paymentId: string;
  transactionStatus: string; // RCVD, ACTC, ACSC, RJCT, ...
  scaRedirect?: string;
  /** The X-Request-ID the initiation went out with. */
  requestId: string;
}
