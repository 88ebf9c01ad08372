import { z } from 'zod';
import { CONNECTION_STATUSES } from '../../../workflows/connection/contract';
import { accountAccessSchema } from '../../access-schema';
import { httpUrl } from '../../http-url';
import { customerPageQuery } from '../../pagination/customer-page';

export const createConnectionBody = z
  .object({
    aspspId: z.string().min(1).max(100),
    customerId: z
      .string()
      .min(1)
      .max(200)
      .describe('One of the customers the API key is issued for (any, for a key without customers)'),
    redirectUrl: httpUrl.describe(
      'Where the PSU lands after the bank, with connectionId and outcome added to its query',
    ),
    validUntil: z.iso
      .date()
      .optional()
      .describe(
        'Last day of access (YYYY-MM-DD). A date beyond the bank’s maximum consent validity (BEC 180 days, ' +
          'Enfuce 90, counting today) is shortened to it, as Berlin Group lets the bank do (9999-12-31: as long ' +
          'as possible); a date already past asks for the shortest consent, until today. The answer’s ' +
          'validUntil and notices say what was asked of the bank. Default: the bank’s maximum',
      ),
    frequencyPerDay: z
      .number()
      .int()
      .min(1)
      .max(4)
      .optional()
      .describe('Unattended syncs per day (PSD2 allows at most 4)'),
    access: accountAccessSchema
      .optional()
      .describe(
        'Berlin Group 1.3.12 AccountAccess; default: the accounts the PSU offers, with balances and transactions',
      ),
  })
  .meta({ id: 'CreateConnection' });

/** A request carried out, but not as asked in every detail: what differs and why. */
export const noticesSchema = z
  .array(z.object({ field: z.string(), message: z.string() }).meta({ id: 'Notice' }))
  .describe(
    'What was done differently from what was asked, naming the field (a validUntil moved into what the bank ' +
      'grants, a PSU address the bank cannot take); absent when everything went as asked',
  );

export const authorisationResponse = z
  .object({
    id: z.string(),
    status: z.string(),
    authorisationUrl: z.string().describe('Send the PSU here (browser redirect)'),
    validUntil: z
      .string()
      .optional()
      .describe(
        'The last day of access asked of the bank for this consent (YYYY-MM-DD); the connection shows the ' +
          'granted one once the PSU has approved',
      ),
    notices: noticesSchema.optional(),
  })
  .meta({ id: 'ConnectionAuthorisation' });

export const connectionSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    aspspId: z.string(),
    status: z.enum(CONNECTION_STATUSES),
    statusReason: z.string().nullable(),
    validUntil: z.string().nullable().describe('Last day of the current consent'),
    lastSyncAt: z.string().nullable(),
    nextSyncAt: z.string().nullable(),
    lastError: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Connection' });

export const connectionListSchema = z
  .object({
    connections: z.array(connectionSchema),
    nextCursor: z.string().optional().describe('Pass as cursor for the next page; absent on the last page'),
  })
  .meta({ id: 'ConnectionList' });

export const listConnectionsQuery = customerPageQuery('connections');

export const connectionIdParams = z.object({ id: z.string().min(1).max(100) });

export const syncBody = z
  .object({
    psuIpAddress: z
      .union([z.ipv4(), z.ipv6()])
      .optional()
      .describe(
        'Given when the PSU is present: the read does not count against frequencyPerDay. Where the bank takes ' +
          'only IPv4 (BEC, Enfuce: Berlin Group 1.3.12 PSU-IP-Address is format ipv4) an IPv4-mapped IPv6 address ' +
          'is sent as IPv4 and any other IPv6 address cannot prove presence: the sync runs unattended (counted) ' +
          'and the answer says so (psuPresent false, a notice naming psuIpAddress).',
      ),
  })
  // No body at all is fine: fastify hands over null then.
  .nullish();

export const syncSummarySchema = z
  .object({
    syncRunId: z.string(),
    outcome: z.enum(['ok', 'deferred']),
    accounts: z.number().int(),
    transactionsUpserted: z.number().int(),
    transactionsRemoved: z.number().int(),
    bankCalls: z.number().int(),
    nextAllowedAt: z.string().optional(),
    finishedAt: z.string(),
    psuPresent: z
      .boolean()
      .describe('Whether the bank was told the PSU is present (PSU-IP-Address): if not, the read counts'),
    notices: noticesSchema.optional(),
  })
  .meta({ id: 'SyncSummary' });

export const revokedSchema = z.object({ id: z.string(), status: z.literal('revoked') });

export const idempotencyHeaders = z.object({
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
      "The PSU's IP address, when the request comes from the PSU's session. Where the bank takes only IPv4 " +
        '(BEC, Enfuce: Berlin Group 1.3.12 PSU-IP-Address is format ipv4) an IPv4-mapped address (::ffff:a.b.c.d) ' +
        'is sent as IPv4; any other IPv6 address is not sent (the bank is told 0.0.0.0, unknown, as when no ' +
        'address is known), the connection goes ahead and the answer carries a notice naming this header.',
    ),
});

export const psuHeaders = z.object({
  'x-psu-ip-address': z
    .union([z.ipv4(), z.ipv6()])
    .optional()
    .describe(
      "The PSU's IP address. Where the bank takes only IPv4 an IPv4-mapped address is sent as IPv4; any other " +
        'IPv6 address is not sent (the bank is told 0.0.0.0, unknown), the re-authorisation goes ahead and the ' +
        'answer carries a notice naming this header.',
    ),
});
