import { z } from 'zod';
import { transactionCursorSchema } from './cursor';

export const balanceSchema = z
  .object({
    type: z.string().describe('Berlin Group balanceType, e.g. closingBooked, interimAvailable'),
    amount: z.string().describe('Decimal string, never a float'),
    currency: z.string(),
    referenceDate: z.string().nullable(),
    lastChangeDateTime: z.string().nullable(),
    creditLimitIncluded: z.boolean().nullable(),
    fetchedAt: z.string(),
  })
  .meta({ id: 'Balance' });

export const accountSchema = z
  .object({
    id: z.string().describe('Our stable account id; survives re-authorisation'),
    connectionId: z.string(),
    kind: z.enum(['account', 'card-account']),
    iban: z.string().nullable(),
    maskedPan: z.string().nullable(),
    currency: z.string(),
    name: z.string().nullable(),
    product: z.string().nullable(),
    status: z.enum(['active', 'gone']),
    balances: z.array(balanceSchema),
  })
  .meta({ id: 'Account' });

export const accountListSchema = z.object({ accounts: z.array(accountSchema) }).meta({ id: 'AccountList' });

export const accountIdParams = z.object({ id: z.string().min(1).max(100) });

const flag = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .optional();

export const balancesQuery = z.object({ history: flag.describe('Also return every observed change') });

export const balanceHistoryEntry = z.object({
  type: z.string(),
  amount: z.string(),
  currency: z.string(),
  referenceDate: z.string().nullable(),
  fetchedAt: z.string(),
});

export const balancesResponse = z
  .object({
    accountId: z.string(),
    balances: z.array(balanceSchema),
    history: z.array(balanceHistoryEntry).optional(),
  })
  .meta({ id: 'Balances' });

export const transactionsQuery = z.object({
  from: z.iso
    .date()
    .optional()
    .describe('First date (inclusive), YYYY-MM-DD. After `to` the range is empty: an empty page, not an error'),
  to: z.iso
    .date()
    .optional()
    .describe('Last date (inclusive), YYYY-MM-DD. Before `from` the range is empty: an empty page, not an error'),
  status: z.enum(['booked', 'pending', 'all']).default('all'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: transactionCursorSchema.optional(),
});

export const transactionSchema = z
  .object({
    id: z.string(),
    status: z.enum(['booked', 'pending']),
    date: z.string().describe('bookingDate, else transactionDate, else valueDate'),
    bookingDate: z.string().nullable(),
    valueDate: z.string().nullable(),
    transactionDate: z.string().nullable(),
    amount: z.string().describe('Decimal string; negative for money out'),
    currency: z.string(),
    creditorName: z.string().nullable(),
    debtorName: z.string().nullable(),
    description: z
      .string()
      .nullable()
      .describe(
        "The transaction's text: the remittance information, or where the bank puts it instead (BEC: additionalInformation)",
      ),
    remittanceInformation: z.string().nullable(),
    additionalInformation: z.string().nullable().describe("The bank's additionalInformation, as sent"),
    entryReference: z.string().nullable(),
  })
  .meta({ id: 'Transaction' });

export const transactionPageSchema = z
  .object({
    transactions: z.array(transactionSchema),
    nextCursor: z.string().optional().describe('Absent on the last page'),
  })
  .meta({ id: 'TransactionPage' });
