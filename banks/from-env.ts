/**
 * The bank directory of a production API process, from the environment:
 *
 *   BANK_PROFILES_FILE  YAML or JSON: a list (or { banks: [...] }) of
 *                         { preset: bec, bankId, environment, baseUrl?, id?, name? }   one per BEC member bank
 *                           (id default bec-<bankId>; set id: bec on an entry configured before ids existed)
 *                         { preset: enfuce, issuer: rocker|st1, environment, clientId, apiKey?, baseUrl? }
 *                         { preset: generic, file: path/to/profile.yaml }   (banks/generic/profile.ts format)
 *   QWAC_CERT_PATH, QWAC_KEY_PATH, QSEAL_CERT_PATH, QSEAL_KEY_PATH   the TPP's eIDAS certificates (PEM)
 *   BANK_CA_PATH        PEM bundle the banks' TLS server certificates chain to
 *
 * The worker needs all of it (bankSetupsFromEnv); the API only the profiles (bankProfilesFromEnv).
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { createBankDirectory, type BankDirectory, type BankSetup } from './directory';
import { parseEnv, type Env } from '../config/env';
import type { Logger } from '../logging/logger';
import { loadPemPair, parseCertificatePem } from '../xs2a/certs';
import type { BankProfile, TppCredentials } from '../xs2a/profiles/types';
import { becProfile } from './bec/profile';
import { enfuceProfile } from './enfuce/profile';
import { loadGenericProfile } from './generic/profile';

const environment = z.enum(['sandbox', 'production']);
/** Bank calls carry the QWAC, signatures, tokens and account data: https only. */
const httpsUrl = z.url({ protocol: /^https$/ });
const entrySchema = z.discriminatedUnion('preset', [
  z.strictObject({
    preset: z.literal('bec'),
    bankId: z.string().regex(/^\d{4}$/, "must be the member bank's 4-digit registration number"),
    environment,
    baseUrl: httpsUrl.optional(),
    /** Default bec-<bankId>: each member bank is its own ASPSP. */
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be lower-case letters, digits and dashes')
      .optional(),
    name: z.string().min(1).optional(),
  }),
  z.strictObject({
    preset: z.literal('enfuce'),
    issuer: z.enum(['rocker', 'st1']),
    environment,
    clientId: z.string().min(1),
    apiKey: z.string().min(1).optional(),
    baseUrl: httpsUrl.optional(),
  }),
  z.strictObject({ preset: z.literal('generic'), file: z.string().min(1) }),
]);
const fileSchema = z.array(entrySchema).min(1);

const REQUIRED = [
  'BANK_PROFILES_FILE',
  'QWAC_CERT_PATH',
  'QWAC_KEY_PATH',
  'QSEAL_CERT_PATH',
  'QSEAL_KEY_PATH',
  'BANK_CA_PATH',
] as const;

export class BankConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BankConfigError';
  }
}

export function loadBankProfiles(file: string): BankProfile[] {
  let data: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    data = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    // First line only: parsers may quote a source line holding an API key.
    throw new BankConfigError(`BANK_PROFILES_FILE ${file}: ${String((err as Error).message).split('\n')[0]}`);
  }
  // Either a list, or { banks: [...] }; unwrapped first so that errors name the entry's field.
  const list = data && typeof data === 'object' && !Array.isArray(data) && 'banks' in data ? data.banks : data;
  const parsed = fileSchema.safeParse(list);
  if (!parsed.success) {
    throw new BankConfigError(
      `BANK_PROFILES_FILE ${file}: ${parsed.error.issues.map((i) => `${['banks', ...i.path].join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data.map((entry) => {
    switch (entry.preset) {
      case 'bec':
        return becProfile({
          ...entry,
          id: entry.id ?? `bec-${entry.bankId}`,
          name: entry.name ?? `BEC ${entry.bankId}`,
        });
      case 'enfuce':
        return enfuceProfile(entry);
      case 'generic':
        return loadGenericProfile(resolve(dirname(file), entry.file));
    }
  });
}

const CREDENTIALS = ['QWAC_CERT_PATH', 'QWAC_KEY_PATH', 'QSEAL_CERT_PATH', 'QSEAL_KEY_PATH', 'BANK_CA_PATH'] as const;

function requireVariables<K extends keyof Env>(parsed: Env, names: readonly K[]): Required<Pick<Env, K>> {
  const missing = names.filter((name) => !parsed[name]);
  if (missing.length)
    throw new BankConfigError(`bank configuration: ${missing.map((name) => `${String(name)} is required`).join(', ')}`);
  return parsed as unknown as Required<Pick<Env, K>>;
}

/**
 * The profiles only (BANK_PROFILES_FILE), without the TPP's keys: what the API process needs
 * for /v1/aspsps and to validate a new connection. It never calls a bank.
 */
export function bankProfilesFromEnv(source: NodeJS.ProcessEnv = process.env): BankProfile[] {
  const env = requireVariables(parseEnv(source), ['BANK_PROFILES_FILE']);
  return loadBankProfiles(env.BANK_PROFILES_FILE);
}

/** The TPP's certificates and the banks' CA (the worker: it calls the banks). */
export function tppCredentialsFromEnv(source: NodeJS.ProcessEnv = process.env): TppCredentials {
  const env = requireVariables(parseEnv(source), CREDENTIALS);
  const pair = (cert: string, certVar: string, key: string, keyVar: string) => {
    try {
      return loadPemPair(cert, key);
    } catch (err) {
      throw new BankConfigError(`${certVar}/${keyVar}: ${(err as Error).message}`);
    }
  };
  return {
    qwac: pair(env.QWAC_CERT_PATH, 'QWAC_CERT_PATH', env.QWAC_KEY_PATH, 'QWAC_KEY_PATH'),
    qseal: pair(env.QSEAL_CERT_PATH, 'QSEAL_CERT_PATH', env.QSEAL_KEY_PATH, 'QSEAL_KEY_PATH'),
    bankCaPem: readBankCa(env.BANK_CA_PATH),
  };
}

export function bankSetupsFromEnv(source: NodeJS.ProcessEnv = process.env): BankSetup[] {
  requireVariables(parseEnv(source), REQUIRED);
  const credentials = tppCredentialsFromEnv(source);
  return bankProfilesFromEnv(source).map((profile) => ({ profile, credentials }));
}

/** Reads the CA bundle and checks that it holds at least one certificate and nothing unreadable. */
export function readBankCa(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BankConfigError(
      `BANK_CA_PATH ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0)
    throw new BankConfigError(`BANK_CA_PATH ${file}: holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  blocks.forEach((pem, i) => {
    try {
      parseCertificatePem(pem);
    } catch (err) {
      throw new BankConfigError(
        `BANK_CA_PATH ${file}: certificate ${i + 1} cannot be parsed (${(err as Error).message})`,
      );
    }
  });
  return text;
}

export function bankDirectoryFromEnv(logger: Logger, source: NodeJS.ProcessEnv = process.env): BankDirectory {
  return createBankDirectory(bankSetupsFromEnv(source), logger);
}
