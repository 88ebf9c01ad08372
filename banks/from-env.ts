/**
 * The bank directory of a production API process, from the environment:
 *
 *   BANK_PROFILES_FILE  YAML or JSON: a list (or { banks: [...] }) of
 *                         { preset: bec, bankId, environment, baseUrl? }
 *                         { preset: enfuce, issuer: rocker|st1, environment, clientId, apiKey?, baseUrl? }
 *                         { preset: generic, file: path/to/profile.yaml }   (banks/generic/profile.ts format)
 *   QWAC_CERT_PATH, QWAC_KEY_PATH, QSEAL_CERT_PATH, QSEAL_KEY_PATH   the TPP's eIDAS certificates (PEM)
 *   BANK_CA_PATH        PEM bundle the banks' TLS server certificates chain to
 *
 * Used by the API and worker entry points; builds the directory with banks/directory.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { createBankDirectory, type BankDirectory, type BankSetup } from './directory';
import { parseEnv, type Env } from '../config/env';
import type { Logger } from '../logging/logger';
import { loadPemPair } from '../xs2a/certs';
import type { BankProfile } from '../xs2a/profiles/types';
import { becProfile } from './bec/profile';
import { enfuceProfile } from './enfuce/profile';
import { loadGenericProfile } from './generic/profile';

const environment = z.enum(['sandbox', 'production']);
/** Bank calls carry the QWAC, signatures, tokens and account data: https only. */
const httpsUrl = z.url({ protocol: /^https$/ });
const entrySchema = z.discriminatedUnion('preset', [
  z.strictObject({ preset: z.literal('bec'), bankId: z.string().min(1), environment, baseUrl: httpsUrl.optional() }),
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
        return becProfile(entry);
      case 'enfuce':
        return enfuceProfile(entry);
      case 'generic':
        return loadGenericProfile(resolve(dirname(file), entry.file));
    }
  });
}

export function bankSetupsFromEnv(source: NodeJS.ProcessEnv = process.env): BankSetup[] {
  const parsed = parseEnv(source);
  const missing = REQUIRED.filter((name) => !parsed[name]);
  if (missing.length)
    throw new BankConfigError(`bank configuration: ${missing.map((name) => `${name} is required`).join(', ')}`);
  const env = parsed as Required<Pick<Env, (typeof REQUIRED)[number]>>;
  const credentials = {
    qwac: loadPemPair(env.QWAC_CERT_PATH, env.QWAC_KEY_PATH),
    qseal: loadPemPair(env.QSEAL_CERT_PATH, env.QSEAL_KEY_PATH),
    bankCaPem: readBankCa(env.BANK_CA_PATH),
  };
  return loadBankProfiles(env.BANK_PROFILES_FILE).map((profile) => ({ profile, credentials }));
}

function readBankCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new BankConfigError(
      `BANK_CA_PATH ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
}

export function bankDirectoryFromEnv(logger: Logger, source: NodeJS.ProcessEnv = process.env): BankDirectory {
  return createBankDirectory(bankSetupsFromEnv(source), logger);
}
