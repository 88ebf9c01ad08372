import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Xs2aError } from '../../xs2a/errors';
import type { BankProfile } from '../../xs2a/profiles/types';
import { BEC_SIGNATURE_STYLE, ENFUCE_SIGNATURE_STYLE } from '../../xs2a/signing/styles';
import { XS2A_SIGNABLE_HEADERS, type SignatureStyle } from '../../xs2a/signing/types';
import { trimSlash } from '../base-url';

/**
 * A plain Berlin Group bank described in a file, so adding one needs no code. The
 * signature may name a known style ('bec', 'enfuce') or spell one out.
 */

const NAMED_STYLES: Record<string, SignatureStyle> = {
  bec: BEC_SIGNATURE_STYLE,
  enfuce: ENFUCE_SIGNATURE_STYLE,
};

/** Bank calls carry the QWAC, signatures, tokens and account data: https only. */
const absoluteUrl = z.url({ protocol: /^https$/ });
const path = z.string().regex(/^\/[^?#]*$/, 'must start with "/" and carry no query');

const signatureStyleSchema = z.strictObject({
  digestAlgorithm: z.enum(['SHA-256', 'SHA-512']),
  signatureAlgorithm: z.enum(['rsa-sha256', 'rsa-sha512']),
  headerOrder: z
    .array(z.enum(XS2A_SIGNABLE_HEADERS))
    .refine((h) => new Set(h).size === h.length, 'must not repeat a header')
    // Exactly the five, in the bank's order: an omitted header would go unsigned when a request carries it.
    .refine(
      (h) => XS2A_SIGNABLE_HEADERS.every((name) => h.includes(name)),
      `must list all of ${XS2A_SIGNABLE_HEADERS.join(', ')}`,
    ),
  caFormat: z.enum(['rfc4514', 'x500']),
  serialCase: z.enum(['lower', 'upper']),
});

const genericProfileSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lowercase letters, digits and "-"'),
    name: z.string().min(1),
    country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2 country code'),
    environment: z.enum(['sandbox', 'production']),
    services: z.array(z.enum(['ais', 'pis', 'piis'])).min(1),
    scaApproach: z.enum(['redirect', 'oauth2-integrated']),
    baseUrl: absoluteUrl,
    paths: z
      .strictObject({
        consents: path.default('/v1/consents'),
        accounts: path.default('/v1/accounts'),
        accountKind: z.enum(['accounts', 'card-accounts']).default('accounts'),
        payments: path.optional(),
        fundsConfirmations: path.optional(),
        enrolment: path.optional(),
      })
      .prefault({}),
    oauth: z
      .strictObject({
        tokenUrl: absoluteUrl,
        authorizeUrl: absoluteUrl,
        clientId: z.string().min(1),
        apiKey: z.string().min(1).optional(),
        /** When token responses carry no refresh_expires_in: the refresh token's lifetime in days. */
        refreshTokenLifetimeDays: z.number().positive().optional(),
      })
      .optional(),
    signature: z.union([z.enum(['bec', 'enfuce']), signatureStyleSchema]),
    consent: z.strictObject({
      maxValidityDays: z.number().int().min(1).max(730),
      defaultFrequencyPerDay: z.number().int().min(1).max(100).default(4),
      transactionHistoryDays: z.number().int().min(1).max(3650),
    }),
    rateLimit: z.strictObject({ perSecond: z.number().positive(), perDay: z.number().int().positive() }).optional(),
    bankId: z.string().min(1).optional(),
    /** The bank takes an IPv6 PSU-IP-Address (1.3.12 declares ipv4; default false). */
    psuIpv6: z.boolean().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.scaApproach === 'oauth2-integrated' && !p.oauth) {
      ctx.addIssue({ code: 'custom', path: ['oauth'], message: 'required when scaApproach is oauth2-integrated' });
    }
  });

export type GenericProfileFile = z.input<typeof genericProfileSchema>;

/** Reads and validates a generic profile (.yaml, .yml or .json); errors name the file and the field. */
export function loadGenericProfile(file: string): BankProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw configError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  let data: unknown;
  try {
    data = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    // First line only: parsers quote the offending source line, which may hold an API key.
    const reason = String((err as Error).message).split('\n')[0];
    throw configError(
      file,
      `is not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${reason}`,
      err,
    );
  }
  return parseGenericProfile(data, file);
}

/** The same validation for a profile that is already parsed (e.g. from an environment variable). */
export function parseGenericProfile(data: unknown, source = 'profile'): BankProfile {
  const parsed = genericProfileSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    const first = parsed.error.issues[0];
    throw new Xs2aError(`Bank profile file ${source} is invalid: ${issues.join('; ')}`, {
      kind: 'configuration',
      field: first ? first.path.join('.') : undefined,
    });
  }
  const p = parsed.data;
  return {
    id: p.id,
    name: p.name,
    country: p.country,
    environment: p.environment,
    services: p.services,
    family: 'berlin-group',
    scaApproach: p.scaApproach,
    baseUrl: trimSlash(p.baseUrl),
    paths: p.paths,
    ...(p.oauth ? { oauth: oauthOf(p.oauth) } : {}),
    signature: typeof p.signature === 'string' ? NAMED_STYLES[p.signature] : p.signature,
    consent: p.consent,
    ...(p.rateLimit ? { rateLimit: p.rateLimit } : {}),
    ...(p.bankId ? { bankId: p.bankId } : {}),
    psuIpv6: p.psuIpv6 ?? false,
  };
}

function oauthOf(oauth: NonNullable<z.output<typeof genericProfileSchema>['oauth']>): BankProfile['oauth'] {
  const { refreshTokenLifetimeDays, ...rest } = oauth;
  return {
    ...rest,
    ...(refreshTokenLifetimeDays !== undefined
      ? { refreshTokenLifetimeMs: refreshTokenLifetimeDays * 86_400_000 }
      : {}),
  };
}

function configError(file: string, message: string, cause: unknown): Xs2aError {
  return new Xs2aError(`Bank profile file ${file} ${message}`, { kind: 'configuration', cause });
}
