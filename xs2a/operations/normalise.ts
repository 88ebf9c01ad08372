import type { TransactionText } from '../profiles/types';
import type { Account, Balance, BookingStatus, Transaction } from './types';
import type { AccountDetailsBody, CardAccountDetailsBody, CardTransactionBody, TransactionBody } from './schemas';

/**
 * Bank bodies to our model. Payment accounts (BEC) and card accounts (Enfuce) end up
 * in the same shapes so storage and the sync do not care which kind a bank serves.
 */

type BalanceBody = {
  balanceType: string;
  balanceAmount: { amount: string; currency: string };
  referenceDate?: string;
  lastChangeDateTime?: string;
  creditLimitIncluded?: boolean;
};

export function toBalance(b: BalanceBody): Balance {
  return compact({
    balanceType: b.balanceType,
    balanceAmount: { amount: b.balanceAmount.amount, currency: b.balanceAmount.currency },
    referenceDate: b.referenceDate,
    lastChangeDateTime: b.lastChangeDateTime,
    creditLimitIncluded: b.creditLimitIncluded,
  });
}

export function toAccount(a: AccountDetailsBody): Account {
  return compact({
    resourceId: a.resourceId,
    kind: 'account' as const,
    iban: a.iban,
    bban: a.bban,
    currency: a.currency,
    name: a.name,
    product: a.product,
    ownerName: a.ownerName,
    cashAccountType: a.cashAccountType,
    status: a.status,
    balances: a.balances?.map(toBalance),
  });
}

export function toCardAccount(a: CardAccountDetailsBody): Account {
  return compact({
    resourceId: a.resourceId,
    kind: 'card-account' as const,
    maskedPan: a.maskedPan,
    currency: a.currency,
    name: a.name,
    product: a.product,
    ownerName: a.ownerName,
    status: a.status,
    creditLimit: a.creditLimit ? { amount: a.creditLimit.amount, currency: a.creditLimit.currency } : undefined,
    balances: a.balances?.map(toBalance),
  });
}

/** Picks a transaction's description from its texts (a bank profile's hooks.transactionDescription). */
export type TransactionDescriber = (text: TransactionText) => string | undefined;

const nonEmpty = (text: string | undefined) => (text?.trim() ? text : undefined);

/** The remittance text by default; the profile's hook decides where the bank puts it elsewhere. */
export function toTransaction(
  t: TransactionBody,
  bookingStatus: BookingStatus,
  describe?: TransactionDescriber,
): Transaction {
  const text: TransactionText = compact({
    remittance:
      nonEmpty(t.remittanceInformationUnstructured) ??
      nonEmpty(t.remittanceInformationUnstructuredArray?.filter((line) => line.trim()).join(' ')),
    additionalInformation: nonEmpty(t.additionalInformation),
  });
  return compact({
    transactionId: t.transactionId,
    entryReference: t.entryReference,
    bookingStatus,
    bookingDate: t.bookingDate,
    valueDate: t.valueDate,
    transactionDate: t.transactionDate,
    transactionAmount: { amount: t.transactionAmount.amount, currency: t.transactionAmount.currency },
    creditorName: t.creditorName,
    debtorName: t.debtorName,
    remittanceInformationUnstructured: t.remittanceInformationUnstructured,
    additionalInformation: t.additionalInformation,
    description: nonEmpty(describe ? describe(text) : text.remittance),
    raw: { ...t },
  });
}

export function toCardTransaction(t: CardTransactionBody, bookingStatus: BookingStatus): Transaction {
  return compact({
    transactionId: t.cardTransactionId,
    bookingStatus,
    bookingDate: t.bookingDate,
    valueDate: t.valueDate,
    transactionDate: t.transactionDate,
    transactionAmount: { amount: t.transactionAmount.amount, currency: t.transactionAmount.currency },
    // A card transaction has no remittance line; transactionDetails is what the cardholder sees.
    remittanceInformationUnstructured: t.transactionDetails,
    description: nonEmpty(t.transactionDetails),
    cardAcceptorId: t.cardAcceptorId,
    maskedPan: t.maskedPAN ?? t.maskedPan,
    raw: { ...t },
  });
}

/** Drops undefined keys so stored JSON and test equality stay clean. */
function compact<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}
