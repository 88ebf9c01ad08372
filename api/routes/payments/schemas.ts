import { z } from 'zod';
import { PAYMENT_PRODUCTS, PAYMENT_STATUSES } from '../../../workflows/payment/contract';

const httpUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');

/** Shape only; check digits are checked by the service (a 422 naming the field). */
const ibanField = z
  .string()
  .min(5)
  .max(42)
  .regex(/^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]+$/, 'must be an IBAN');

export const accountReference = z.object({ iban: ibanField }).meta({ id: 'PaymentAccountReference' });

export const amountSchema = z
  .object({
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code')
      .describe('ISO 4217, e.g. DKK or EUR'),
    amount: z.string().max(20).describe('Positive decimal string with at most the currency’s minor digits: "125.50"'),
  })
  .meta({ id: 'Amount' });

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
    requestedExecutionDate: z.iso.date().optional().describe('YYYY-MM-DD, where the bank offers future-dated payments'),
    redirectUrl: httpUrl.describe('Where the PSU lands after the bank, with paymentId and outcome added to its query'),
    psuIpAddress: z
      .union([z.ipv4(), z.ipv6()])
      .optional()
      .describe(
        "The PSU's IP address (sent to the bank as PSU-IP-Address); default: X-PSU-IP-Address, else the caller's",
      ),
  })
  .meta({ id: 'CreatePayment' });

export const paymentCreatedSchema = z
  .object({
    id: z.string(),
    status: z.enum(PAYMENT_STATUSES),
    authorisationUrl: z.string().describe('Send the PSU here (browser redirect) to approve the payment'),
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

export const listPaymentsQuery = z.object({
  customerId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Required unless the API key is issued for exactly one customer'),
  status: z.enum(PAYMENT_STATUSES).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

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
    .describe('Replays the first answer for the same body; 422 for another body'),
  'x-psu-ip-address': z
    .union([z.ipv4(), z.ipv6()])
    .optional()
    .describe("The PSU's IP address, when the request comes from the PSU's session"),
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
