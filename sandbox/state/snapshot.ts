import { z } from 'zod';
import type { CodeRecord } from './oauth';
import type { ConsentRecord, PaymentRecord, SandboxBankId, SandboxSettings, TokenInfo } from './types';

/**
 * A bank's state as plain JSON, for carrying it across a restart. Only what cannot be derived is
 * here: the ledgers are a pure function of (seed, bank, PSU, account, date) plus the approved
 * payments, so they are rebuilt on restore, never stored. OAuth secrets appear only as the SHA-256
 * hashes the bank keeps anyway.
 */
export const BANK_STATE_SNAPSHOT_VERSION = 1;

export interface AccessTokenSnapshot extends TokenInfo {
  hash: string;
}

export interface RefreshTokenSnapshot {
  hash: string;
  clientId: string;
  consentId: string;
  psuId: string;
  expiresAt: number;
  accessHash: string;
}

/** A stored code record, keyed by the code's hash (the raw code is never written). */
export interface AuthorisationCodeSnapshot extends CodeRecord {
  hash: string;
}

export interface OAuthSnapshot {
  accessTokens: AccessTokenSnapshot[];
  refreshTokens: RefreshTokenSnapshot[];
  codes: AuthorisationCodeSnapshot[];
}

/** The current day's unattended-read counters (BG frequencyPerDay); other days are gone anyway. */
export interface FrequencySnapshot {
  /** YYYY-MM-DD on the sandbox clock, '' before the first counted read. */
  day: string;
  counts: Array<{ consentId: string; endpoint: string; used: number }>;
}

export interface PaymentSnapshot extends PaymentRecord {
  /** Epoch ms on the sandbox clock of the PSU's decision: drives ACTC → ACSC and the ledger booking. */
  decidedAt?: number;
}

export interface EnrolmentSnapshot {
  /** SHA-256 (hex) of the certificate's DER: what the bank looks enrolments up by. */
  certificateSha256: string;
  enrolmentId: string;
  tppOrgId: string;
  serialNumber: string;
}

export interface BankStateSnapshot {
  version: typeof BANK_STATE_SNAPSHOT_VERSION;
  bank: SandboxBankId;
  /** The ledger seed: resourceIds and transactions derive from it, so a restore must use the same. */
  seed: string;
  settings: SandboxSettings;
  consents: ConsentRecord[];
  payments: PaymentSnapshot[];
  enrolments: EnrolmentSnapshot[];
  frequency: FrequencySnapshot;
  oauth: OAuthSnapshot;
}

/** A snapshot that is not one this code wrote: wrong version, wrong bank or a malformed field. */
export class SnapshotFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFormatError';
  }
}

const bankId = z.enum(['bec', 'enfuce-rocker', 'enfuce-st1']);
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const epochMs = z.number().finite();
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

const settingsSchema = z.object({
  pendingToBooked: z.enum(['same-id', 'new-id']),
  resourceIdsPerConsent: z.boolean(),
  accessTokenTtlMs: z.number().finite().positive(),
  refreshTokenTtlMs: z.number().finite().positive(),
  transactionsPageSize: z.number().int().positive(),
  enforceFrequencyPerDay: z.boolean(),
});

const consentSchema = z.object({
  consentId: z.string().min(1),
  bank: bankId,
  bankId: z.string().optional(),
  tppOrgId: z.string(),
  status: z.enum(['received', 'valid', 'rejected', 'expired', 'revokedByPsu', 'terminatedByTpp']),
  // Kept exactly as the TPP sent it; only its presence is checked.
  access: z.unknown().refine((value) => value !== undefined, 'access is missing'),
  recurringIndicator: z.boolean(),
  validUntil: isoDay,
  frequencyPerDay: z.number().int().positive(),
  combinedServiceIndicator: z.boolean(),
  psuId: z.string().optional(),
  redirectUri: z.string().optional(),
  nokRedirectUri: z.string().optional(),
  createdAt: z.string(),
  lastActionDate: isoDay,
});

const paymentSchema = z.object({
  paymentId: z.string().min(1),
  product: z.string(),
  status: z.enum(['RCVD', 'ACTC', 'ACSP', 'ACSC', 'RJCT', 'CANC']),
  debtorIban: z.string(),
  amount: z.string(),
  currency: z.string(),
  creditorIban: z.string().optional(),
  creditorName: z.string(),
  psuId: z.string().optional(),
  redirectUri: z.string(),
  nokRedirectUri: z.string(),
  createdAt: z.string(),
  statusReason: z.string().optional(),
  decidedAt: epochMs.optional(),
});

const snapshotSchema = z.object({
  version: z.literal(BANK_STATE_SNAPSHOT_VERSION),
  bank: bankId,
  seed: z.string(),
  settings: settingsSchema,
  consents: z.array(consentSchema),
  payments: z.array(paymentSchema),
  enrolments: z.array(
    z.object({
      certificateSha256: sha256Hex,
      enrolmentId: z.string().min(1),
      tppOrgId: z.string(),
      serialNumber: z.string(),
    }),
  ),
  frequency: z.object({
    day: z.union([isoDay, z.literal('')]),
    counts: z.array(z.object({ consentId: z.string(), endpoint: z.string(), used: z.number().int().nonnegative() })),
  }),
  oauth: z.object({
    accessTokens: z.array(
      z.object({
        hash: sha256Hex,
        kind: z.enum(['client', 'psu']),
        clientId: z.string(),
        consentId: z.string().optional(),
        psuId: z.string().optional(),
        expiresAt: epochMs,
      }),
    ),
    refreshTokens: z.array(
      z.object({
        hash: sha256Hex,
        clientId: z.string(),
        consentId: z.string(),
        psuId: z.string(),
        expiresAt: epochMs,
        accessHash: sha256Hex,
      }),
    ),
    codes: z.array(
      z.object({
        hash: sha256Hex,
        clientId: z.string(),
        consentId: z.string(),
        psuId: z.string(),
        redirectUri: z.string(),
        codeChallenge: z.string(),
        expiresAt: epochMs,
        used: z.boolean(),
        issued: z.array(sha256Hex),
      }),
    ),
  }),
}) satisfies z.ZodType<BankStateSnapshot>;

/**
 * Checks that `value` (e.g. from JSON.parse) is a snapshot this code can restore. Throws
 * SnapshotFormatError naming the first offending field; the message never repeats field values.
 */
export function parseBankStateSnapshot(value: unknown): BankStateSnapshot {
  const version = (value as { version?: unknown } | null)?.version;
  if (version !== BANK_STATE_SNAPSHOT_VERSION) {
    throw new SnapshotFormatError(
      `snapshot version ${JSON.stringify(version ?? null)} is not ${BANK_STATE_SNAPSHOT_VERSION}`,
    );
  }
  const result = snapshotSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SnapshotFormatError(`snapshot field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return result.data;
}
