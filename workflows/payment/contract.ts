/**
 * The payment workflow's contract: statuses, timing, failure types and the plain-JSON shapes the
 * workflow, its activities, the services and the API share. Nothing here may carry an IBAN, a name,
 * an amount, a state or a code: workflow inputs and results go into history.
 */

/** The three Berlin Group products BEC serves (the JSON `paymentInitiation_json` body for each). */
export const PAYMENT_PRODUCTS = [
  'sepa-credit-transfers',
  'instant-sepa-credit-transfers',
  'cross-border-credit-transfers',
] as const;
export type PaymentProduct = (typeof PAYMENT_PRODUCTS)[number];

/** Our normalised status, always shown next to the bank's own ISO 20022 code (`bankStatus`). */
export const PAYMENT_STATUSES = [
  'awaiting_authorisation',
  'authorised',
  'pending',
  'completed',
  'rejected',
  'cancelled',
  'authorisation_expired',
  'unknown',
  'failed',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Statuses a payment never leaves; the workflow has ended. */
export const FINAL_PAYMENT_STATUSES: readonly PaymentStatus[] = [
  'completed',
  'rejected',
  'cancelled',
  'authorisation_expired',
  'unknown',
  'failed',
];

/** The bank's ISO 20022 transaction statuses that end a payment (ACCC, ACSC: completed; RJCT; CANC). */
export const FINAL_BANK_STATUSES = ['ACCC', 'ACSC', 'RJCT', 'CANC'] as const;

export function isFinalBankStatus(code: string): boolean {
  return (FINAL_BANK_STATUSES as readonly string[]).includes(code);
}

/**
 * Our status for a bank code once the PSU has approved (RCVD then means the bank has not yet
 * moved on). ACTC is "accepted technical validation": authorised, not yet executing.
 */
export function statusForBankCode(code: string): PaymentStatus {
  switch (code) {
    case 'ACSC':
    case 'ACCC':
      return 'completed';
    case 'RJCT':
      return 'rejected';
    case 'CANC':
      return 'cancelled';
    case 'RCVD':
    case 'ACTC':
    case 'ACFC':
      return 'authorised';
    default:
      // ACSP, ACWC, ACCP, PDNG, PATC, PART, ACWP and codes we do not know: still on the way.
      return 'pending';
  }
}

export interface PaymentTiming {
  /** The PSU has this long to approve at the bank; then the payment is deleted there. */
  authorisationTimeoutMs: number;
  /** First wait between status reads after approval; each next wait is `pollFactor` times longer. */
  pollInitialMs: number;
  pollFactor: number;
  /** The longest wait between two status reads. */
  pollMaxMs: number;
  /** Without a final bank status this long after approval the payment becomes `unknown`. */
  unknownAfterMs: number;
  /** One bank call's activity attempt (a worker that dies mid-call is noticed after this). */
  bankCallTimeoutMs: number;
}

export const DEFAULT_PAYMENT_TIMING: PaymentTiming = {
  authorisationTimeoutMs: 15 * 60_000,
  pollInitialMs: 2_000,
  pollFactor: 2,
  // Seconds at first, then minutes, then hours.
  pollMaxMs: 4 * 3_600_000,
  unknownAfterMs: 6 * 86_400_000,
  bankCallTimeoutMs: 60_000,
};

/** The wait before status read number `n` (0-based): decays from seconds to hours. */
export function pollDelay(timing: PaymentTiming, n: number): number {
  return Math.min(timing.pollMaxMs, Math.round(timing.pollInitialMs * Math.pow(timing.pollFactor, n)));
}

export interface StatusChange {
  /** The bank's ISO code at that moment (absent before the bank knew the payment). */
  bankStatus?: string;
  status: PaymentStatus;
  at: number;
}

export interface PaymentState {
  status: PaymentStatus;
  bankStatus?: string;
  statusReason?: string;
  lastError?: string;
  /** While the PSU is expected at the bank. */
  authorisation?: { id: string; url: string; expiresAt: number };
}

export interface PaymentWorkflowInput {
  paymentId: string;
  customerId: string;
  aspspId: string;
  product: PaymentProduct;
}

export interface PaymentView extends PaymentState {
  paymentId: string;
  customerId: string;
  aspspId: string;
}

/** What the workflow hears of the PSU's return (the SCA session's notice). */
export interface PaymentPsuCallback {
  authorisationId: string;
  outcome: 'approved' | 'denied' | 'error';
  error?: string;
  psuIpAddress?: string;
}

export interface AuthorisationUrlResult {
  authorisationUrl: string;
  status: PaymentStatus;
  lastError?: string;
}

export interface CancelResult {
  status: PaymentStatus;
  bankStatus?: string;
}

/** Failure types: activities throw them, the workflow and the services read them. */
export const PaymentFailure = {
  /** The request cannot be honoured in the payment's current status (the API answers 409). */
  invalidState: 'Payment.InvalidState',
  /** The initiation may have reached the bank but its answer was lost: never re-sent blindly. */
  initiationUnknown: 'Payment.InitiationUnknown',
  /** The bank refused to cancel (e.g. the PSU already approved). */
  cancellationRefused: 'Payment.CancellationRefused',
} as const;
export type PaymentFailureType = (typeof PaymentFailure)[keyof typeof PaymentFailure];

export function paymentWorkflowId(paymentId: string): string {
  return `payment:${paymentId}`;
}
