import { z } from 'zod';

/**
 * Berlin Group 1.3.12 `paymentInitiation_json` for the JSON single-payment products, with the
 * spec's patterns and lengths, and each product's table of what applies (the Implementation
 * Guidelines' "n.a." elements are not sent). Validated before a request goes out, so a bad body
 * is our error naming the field, not the bank's 400.
 */

export const JSON_PAYMENT_PRODUCTS = [
  'sepa-credit-transfers',
  'instant-sepa-credit-transfers',
  'target-2-payments',
  'cross-border-credit-transfers',
] as const;
export type JsonPaymentProduct = (typeof JSON_PAYMENT_PRODUCTS)[number];

/** ISO 20022 ExternalPaymentTransactionStatus1Code, as listed in 1.3.12's transactionStatus. */
export const TRANSACTION_STATUSES = [
  'ACCC',
  'ACCP',
  'ACSC',
  'ACSP',
  'ACTC',
  'ACWC',
  'ACWP',
  'RCVD',
  'PDNG',
  'RJCT',
  'CANC',
  'ACFC',
  'PATC',
  'PART',
] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

const iban = z
  .string()
  .regex(/^[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}$/, 'IBAN: country code, check digits and up to 30 characters');
const currency = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 currency code');

export const paymentAccountReferenceSchema = z.strictObject({ iban, currency: currency.optional() });

export const paymentAmountSchema = z.strictObject({
  currency,
  amount: z.string().regex(/^-?[0-9]{1,14}(\.[0-9]{1,3})?$/, 'decimal string, at most 14 digits and 3 decimals'),
});

export const paymentAddressSchema = z.strictObject({
  streetName: z.string().max(70).optional(),
  buildingNumber: z.string().optional(),
  townName: z.string().optional(),
  postCode: z.string().optional(),
  country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2 country code'),
});

const common = {
  debtorAccount: paymentAccountReferenceSchema,
  instructedAmount: paymentAmountSchema,
  creditorAccount: paymentAccountReferenceSchema,
  creditorAgent: z
    .string()
    .regex(/^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$/, 'BIC')
    .optional(),
  creditorName: z.string().min(1).max(70),
  creditorAddress: paymentAddressSchema.optional(),
  remittanceInformationUnstructured: z.string().max(140).optional(),
  /** N.a. in the guidelines' product cores, but in the schema for ASPSPs that offer future-dated payments. */
  requestedExecutionDate: z.iso.date().optional(),
};

/** SCT, SCT Inst, Target2: endToEndIdentification optional. */
export const sepaPaymentInitiationSchema = z.strictObject({
  ...common,
  endToEndIdentification: z.string().max(35).optional(),
  chargeBearer: z.enum(['DEBT', 'CRED', 'SHAR', 'SLEV']).optional(),
});

/** Cross-border credit transfers: no endToEndIdentification; chargeBearer conditional. */
export const crossBorderPaymentInitiationSchema = z.strictObject({
  ...common,
  chargeBearer: z.enum(['DEBT', 'CRED', 'SHAR', 'SLEV']).optional(),
});

export type SepaPaymentInitiation = z.infer<typeof sepaPaymentInitiationSchema>;
export type CrossBorderPaymentInitiation = z.infer<typeof crossBorderPaymentInitiationSchema>;
/** The body of POST /v1/payments/{payment-product} for the JSON products. */
export type PaymentInitiationJson = SepaPaymentInitiation | CrossBorderPaymentInitiation;

export function paymentInitiationSchemaFor(product: JsonPaymentProduct) {
  return product === 'cross-border-credit-transfers' ? crossBorderPaymentInitiationSchema : sepaPaymentInitiationSchema;
}

/** The body checked against the product's schema: the field at fault and why, or undefined when valid. */
export function checkPaymentInitiation(
  product: JsonPaymentProduct,
  body: unknown,
): { field: string; message: string } | undefined {
  const result = paymentInitiationSchemaFor(product).safeParse(body);
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    // A field the product's table marks n.a. (e.g. endToEndIdentification for cross-border).
    return { field: [...issue.path, issue.keys[0]].map(String).join('.'), message: `not part of ${product}` };
  }
  return { field: issue.path.map(String).join('.') || '(body)', message: issue.message };
}

/** IBAN check digits (ISO 13616 mod 97), beyond the spec's pattern. */
export function ibanChecksumValid(value: string): boolean {
  const compact = value.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const digits = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of digits) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder === 1;
}
