import { z } from 'zod';

/**
 * The parts of Berlin Group 1.3.x responses we read. Objects are loose: banks add
 * fields (and newer versions add more), which we keep in `raw` where it matters but
 * never reject. What we use is strict, so a bank change shows up as an
 * 'invalid_response' naming the field instead of as bad data in the database.
 */

const href = z.looseObject({ href: z.string().min(1) });

/** Decimal string as sent ("-12.30"); kept as a string so nothing is lost to floats. */
export const amountSchema = z.looseObject({
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 currency code'),
  amount: z.string().regex(/^-?[0-9]{1,14}(\.[0-9]{1,3})?$/, 'decimal string'),
});

export const consentStatusSchema = z.enum([
  'received',
  'rejected',
  'valid',
  'revokedByPsu',
  'expired',
  'terminatedByTpp',
  'partiallyAuthorised',
]);

const accountReferenceSchema = z.looseObject({
  iban: z.string().optional(),
  bban: z.string().optional(),
  maskedPan: z.string().optional(),
  pan: z.string().optional(),
  currency: z.string().optional(),
});

const accessSchema = z.looseObject({
  accounts: z.array(accountReferenceSchema).optional(),
  balances: z.array(accountReferenceSchema).optional(),
  transactions: z.array(accountReferenceSchema).optional(),
  availableAccounts: z.string().optional(),
  availableAccountsWithBalance: z.string().optional(),
  allPsd2: z.string().optional(),
});

export const consentCreatedSchema = z.looseObject({
  consentId: z.string().min(1),
  consentStatus: consentStatusSchema,
  _links: z
    .looseObject({
      scaRedirect: href.optional(),
      scaOAuth: href.optional(),
      self: href.optional(),
      status: href.optional(),
    })
    .optional(),
});

/** GET /consents/{id}: the 1.3.x body does not repeat the consentId. */
export const consentDetailsSchema = z.looseObject({
  access: accessSchema,
  recurringIndicator: z.boolean(),
  validUntil: z.string(),
  frequencyPerDay: z.number().int(),
  lastActionDate: z.string().optional(),
  consentStatus: consentStatusSchema,
});

export const consentStatusResponseSchema = z.looseObject({
  consentStatus: consentStatusSchema,
});

export const balanceSchema = z.looseObject({
  balanceType: z.string().min(1),
  balanceAmount: amountSchema,
  referenceDate: z.string().optional(),
  lastChangeDateTime: z.string().optional(),
  creditLimitIncluded: z.boolean().optional(),
});

export const accountDetailsSchema = z.looseObject({
  resourceId: z.string().min(1),
  iban: z.string().optional(),
  bban: z.string().optional(),
  currency: z.string().min(1),
  name: z.string().optional(),
  product: z.string().optional(),
  ownerName: z.string().optional(),
  cashAccountType: z.string().optional(),
  status: z.string().optional(),
  balances: z.array(balanceSchema).optional(),
});

export const cardAccountDetailsSchema = z.looseObject({
  resourceId: z.string().min(1),
  maskedPan: z.string().min(1),
  currency: z.string().min(1),
  name: z.string().optional(),
  product: z.string().optional(),
  ownerName: z.string().optional(),
  status: z.string().optional(),
  creditLimit: amountSchema.optional(),
  balances: z.array(balanceSchema).optional(),
});

export const accountListSchema = z.looseObject({ accounts: z.array(accountDetailsSchema) });
export const cardAccountListSchema = z.looseObject({ cardAccounts: z.array(cardAccountDetailsSchema) });

export const balancesSchema = z.looseObject({ balances: z.array(balanceSchema) });
/** Card balances have the same shape ({ cardAccount, balances }); named for the operation it validates. */
export const cardBalancesSchema = balancesSchema;

export const transactionSchema = z.looseObject({
  // Not in every Berlin Group version, but banks send it; a pending entry may have no other date.
  transactionDate: z.string().optional(),
  transactionId: z.string().optional(),
  entryReference: z.string().optional(),
  bookingDate: z.string().optional(),
  valueDate: z.string().optional(),
  transactionAmount: amountSchema,
  creditorName: z.string().optional(),
  debtorName: z.string().optional(),
  remittanceInformationUnstructured: z.string().optional(),
  remittanceInformationUnstructuredArray: z.array(z.string()).optional(),
  additionalInformation: z.string().optional(),
});

export const cardTransactionSchema = z.looseObject({
  cardTransactionId: z.string().optional(),
  transactionDate: z.string().optional(),
  bookingDate: z.string().optional(),
  valueDate: z.string().optional(),
  transactionAmount: amountSchema,
  cardAcceptorId: z.string().optional(),
  /** Spelled maskedPAN in the 1.3.x cardTransaction; some banks write maskedPan. */
  maskedPAN: z.string().optional(),
  maskedPan: z.string().optional(),
  transactionDetails: z.string().optional(),
});

const reportLinks = z.looseObject({ next: href.optional() });

export const accountReportSchema = z.looseObject({
  transactions: z.looseObject({
    booked: z.array(transactionSchema).optional(),
    pending: z.array(transactionSchema).optional(),
    _links: reportLinks.optional(),
  }),
});

export const cardAccountReportSchema = z.looseObject({
  cardTransactions: z.looseObject({
    booked: z.array(cardTransactionSchema).optional(),
    pending: z.array(cardTransactionSchema).optional(),
    _links: reportLinks.optional(),
  }),
});

export const paymentInitiationSchema = z.looseObject({
  transactionStatus: z.string().min(1),
  paymentId: z.string().min(1),
  _links: z.looseObject({ scaRedirect: href.optional() }).optional(),
});

export const paymentStatusSchema = z.looseObject({
  transactionStatus: z.string().min(1),
  fundsAvailable: z.boolean().optional(),
});

/** 202 to DELETE /v1/payments/…: the cancellation needs the PSU's authorisation. */
export const paymentCancelSchema = z.looseObject({ transactionStatus: z.string().min(1) });

export const fundsConfirmationSchema = z.looseObject({ fundsAvailable: z.boolean() });

/** BEC's enrolment of a QSEAL for TPP-Signature-Certificate; not part of Berlin Group. */
export const enrolmentResponseSchema = z
  .looseObject({
    enrolmentId: z.string().min(1),
    status: z.string().min(1).optional(),
    enrolmentStatus: z.string().min(1).optional(),
  })
  .refine((b) => b.status !== undefined || b.enrolmentStatus !== undefined, {
    message: 'status or enrolmentStatus required',
    path: ['status'],
  });

export type ConsentCreatedBody = z.infer<typeof consentCreatedSchema>;
export type AccountDetailsBody = z.infer<typeof accountDetailsSchema>;
export type CardAccountDetailsBody = z.infer<typeof cardAccountDetailsSchema>;
export type TransactionBody = z.infer<typeof transactionSchema>;
export type CardTransactionBody = z.infer<typeof cardTransactionSchema>;
