import { z } from 'zod';
import { CONNECTION_STATUSES } from '../../../workflows/connection/contract';
import { accountAccessSchema } from '../../access-schema';

const HOST_NAME = '[A-Za-z][A-Za-z0-9-]*(\\.[A-Za-z][A-Za-z0-9-]*)*';
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const IPV4 = `${OCTET}(\\.${OCTET}){3}`;
const PORT = '[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]';

/**
 * An absolute http(s) URL. The pattern says so in the OpenAPI document (a host name that starts
 * with a letter or an IPv4 address, an optional port, a path, query or fragment of
 * visible ASCII); the refinement keeps what URL parses.
 */
const httpUrl = z
  .string()
  .max(2048)
  .regex(new RegExp(`^https?://(${HOST_NAME}|${IPV4})(:(${PORT}))?([/?#][!-~]*)?$`), {
    message: 'must be an absolute http(s) URL',
    abort: true,
  })
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');

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
      .describe('Last day of access (YYYY-MM-DD); at most the bank’s maximum consent validity'),
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

export const authorisationResponse = z
  .object({
    id: z.string(),
    status: z.string(),
    authorisationUrl: z.string().describe('Send the PSU here (browser redirect)'),
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

export const connectionListSchema = z.object({ connections: z.array(connectionSchema) }).meta({ id: 'ConnectionList' });

export const listConnectionsQuery = z.object({
  customerId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Required unless the API key is issued for exactly one customer'),
});

export const connectionIdParams = z.object({ id: z.string().min(1).max(100) });

export const syncBody = z
  .object({
    psuIpAddress: z
      .union([z.ipv4(), z.ipv6()])
      .optional()
      .describe(
        'Given when the PSU is present: the read does not count against frequencyPerDay. Where the bank takes ' +
          'only IPv4 (BEC, Enfuce: Berlin Group 1.3.12 PSU-IP-Address is format ipv4) an IPv4-mapped IPv6 address ' +
          'is sent as IPv4 and any other IPv6 address cannot prove presence: the sync runs unattended (counted).',
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
  })
  .meta({ id: 'SyncSummary' });

export const revokedSchema = z.object({ id: z.string(), status: z.literal('revoked') });

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Replays the first answer for the same body; 422 for another body'),
  'x-psu-ip-address': z
    .union([z.ipv4(), z.ipv6()])
    .optional()
    .describe(
      "The PSU's IP address, when the request comes from the PSU's session. 422 where the bank takes only IPv4 " +
        '(BEC, Enfuce) and this is IPv6 other than IPv4-mapped (::ffff:a.b.c.d, sent as IPv4).',
    ),
});

export const psuHeaders = z.object({
  'x-psu-ip-address': z
    .union([z.ipv4(), z.ipv6()])
    .optional()
    .describe(
      "The PSU's IP address; 422 where the bank takes only IPv4 and this is IPv6 (IPv4-mapped is sent as IPv4)",
    ),
});
