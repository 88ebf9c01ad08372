/**
 * Funds confirmation (PIIS): one bank question, asked by the worker (the only process holding the
 * QWAC and QSEAL) on behalf of the API. Plain JSON only: it all goes into (encrypted) history.
 */
export interface FundsConfirmationInput {
  aspspId: string;
  account: { iban: string };
  instructedAmount: { currency: string; amount: string };
}

export interface FundsConfirmationResult {
  fundsAvailable: boolean;
}

/** The bank refused the question (4xx): the API answers 422 with the bank's text. */
export const FUNDS_CONFIRMATION_REFUSED = 'FundsConfirmationRefused';

export const fundsConfirmationWorkflowId = (requestId: string) => `funds-confirmation:${requestId}`;
