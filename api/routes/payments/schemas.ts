import { z } from 'zod';
import { amountPattern, CURRENCY_DIGITS } from '../../../services/payments';
import { httpUrl } from '../../http-url';
import { noticesSchema } from '../connections/schemas';
import { customerPageQuery } from '../../pagination/customer-page';
import { PAYMENT_PRODUCTS, PAYMENT_STATUSES } from '../../../workflows/payment/contract';

/**
 * An IBAN's form: country, check digits, then up to 30 letters or digits, single spaces allowed
 * between characters (printed groups). Its ISO 13616 check digits are beyond a pattern: the
 * service answers 404 (no such account) for an IBAN that fails them.
 */
const ibanField = z
  .string()
  .regex(/^[A-Za-z]{2}[0-9]{2}( ?[A-Za-z0-9]){1,30}$/, 'must be an IBAN')
  .describe('IBAN; one whose check digits fail names no account: 404');

export const accountReference = z.object({ iban: ibanField }).meta({ id: 'PaymentAccountReference' });

const CURRENCIES = Object.keys(CURRENCY_DIGITS) as [string, ...string[]];
const withDigits = (digits: number) => CURRENCIES.filter((c) => CURRENCY_DIGITS[c] === digits);

/**
 * The document states the whole rule: which currencies, and per currency how many decimals (the
 * anyOf); zod checks the form and the service the decimals per currency, with messages naming
 * the field.
 */
export const amountSchema = z
  .object({
    currency: z
      .enum(CURRENCIES, 'must be a currency we pay in (ISO 4217)')
      .describe(`ISO 4217: ${CURRENCIES.join(', ')}`),
    amount: z
      .string()
      .regex(new RegExp(amountPattern(2)), 'must be a positive decimal with at most the currency’s decimals')
      .describe('Positive decimal string, no leading zeros, at most the currency’s minor digits: "125.50"'),
  })
  .meta({
    id: 'Amount',
    anyOf: [2, 0].map((digits) => ({
      properties: { currency: { enum: withDigits(digits) }, amount: { pattern: amountPattern(digits) } },
    })),
  } as never);

export const createPaymentBody = z
  .object({
    aspspId: z.string().min(1).max(100),
    customerId: z.string().min(1).max(200),
    product: z.enum(PAYMENT_PRODUCTS).describe('Berlin Group payment product'),
    debtorAccount: accountReference,
    creditorAccount: accountReference,
    creditorName: z.string().min(1).max(70),
    instructedAmount: amountSchema,
    remittanceInformationUnstructured: z.string().min(1).max(140).optional(),
    requestedExecutionDate: z.iso
      .date()
      .optional()
      .describe(
        'YYYY-MM-DD, where the bank offers future-dated payments. A day already past asks for today (the ' +
          'answer’s requestedExecutionDate and notices say so)',
      ),
    redirectUrl: httpUrl.describe('Where the PSU lands after the bank, with paymentId and outcome added to its query'),
    psuIpAddress: z
      .union([z.ipv4(), z.ipv6()])
      .optional()
      .describe(
        "The PSU's IP address (sent to the bank as PSU-IP-Address); default: X-PSU-IP-Address, else the caller's. " +
          'Where the bank takes only IPv4 (Berlin Group 1.3.12: format ipv4) an IPv4-mapped address is sent as ' +
          'IPv4; any other IPv6 address is not sent (the bank is told 0.0.0.0, unknown), the payment goes ahead ' +
          'and the answer carries a notice naming psuIpAddress.',
      ),
  })
  .meta({ id: 'CreatePayment' });

export const paymentCreatedSchema = z
  .object({
    id: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    authorisationUrl: z.string().describe('Send the PSU here (browser redirect) to approve the payment'),
    requestedExecutionDate: z.string().optional().describe('The execution date asked of the bank'),
    notices: noticesSchema.optional(),
  })
  .meta({ id: 'PaymentAuthorisation' });

export const statusChangeSchema = z
  .object({
    status: z.enum(PAYMENT_STATUSES),
    bankStatus: z.string().nullable().describe('The bank’s ISO 20022 code at that moment'),
    at: z.string(),
  })
  .meta({ id: 'PaymentStatusChange' });

export const paymentSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    aspspId: z.string(),
    product: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    statusReason: z.string().nullable(),
    bankStatus: z
      .string()
      .nullable()
      .describe('The bank’s own ISO 20022 transaction status (RCVD, ACTC, ACSC, RJCT …)'),
    statusHistory: z.array(statusChangeSchema),
    instructedAmount: amountSchema,
    creditorName: z.string(),
    requestedExecutionDate: z.string().nullable().describe('The execution date asked of the bank; null: at once'),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastError: z.string().nullable(),
    authorisationUrl: z.string().optional().describe('While awaiting authorisation'),
  })
  .meta({ id: 'Payment' });

export const paymentListSchema = z
  .object({
    payments: z.array(paymentSchema),
    nextCursor: z.string().optional().describe('Pass as cursor for the next page; absent on the last page'),
  })
  .meta({ id: 'PaymentList' });

export const listPaymentsQuery = customerPageQuery('payments').extend({ status: z.enum(PAYMENT_STATUSES).optional() });

export const paymentIdParams = z.object({ id: z.string().min(1).max(100) });

export const cancelledSchema = z
  .object({ id: z.string(), status: z.literal('cancelled'), bankStatus: z.string().nullable() })
  .meta({ id: 'PaymentCancelled' });

export const paymentHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Replays the first answer for the same body; 409 for another body (the key is taken)'),
  'x-psu-ip-address': z
    .union([z.ipv4(), z.ipv6()])
    .optional()
    .describe(
      "The PSU's IP address, when the request comes from the PSU's session (the body's psuIpAddress wins); " +
        'an IPv6 address an IPv4-only bank cannot take is not sent and the answer says so',
    ),
});

export const fundsConfirmationBody = z
  .object({
    aspspId: z.string().min(1).max(100),
    customerId: z.string().min(1).max(200),
    account: accountReference,
    instructedAmount: amountSchema,
  })
  .meta({ id: 'FundsConfirmationRequest' });

export const fundsConfirmationSchema = z.object({ fundsAvailable: z.boolean() }).meta({ id: 'FundsConfirmation' });
