/**
 * `ops doctor`: checks a production environment end to end, one line per check with its fix.
 * Run it with the worker's environment (it holds everything: profiles, certificates, CA).
 */
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { createBankDirectory, type BankDirectory } from '../banks/directory';
import { loadBankProfiles, readBankCa } from '../banks/from-env';
import { ConfigError, parseEnv, type Env } from '../config/env';
import type { Logger } from '../logging/logger';
import { temporalConnectionOptions } from '../temporal/connection';
import { searchAttributeProblems } from '../temporal/search-attributes-admin';
import { inspectCertificate, loadPemPair } from '../xs2a/certs';
import type { PemPair } from '../xs2a/certs/types';
import { Xs2aError } from '../xs2a/errors';
import type { BankProfile } from '../xs2a/profiles/types';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when it failed. */
  fix?: string;
}

export interface DoctorOptions {
  source?: NodeJS.ProcessEnv;
  logger: Logger;
  /** Per bank call and Temporal call (default 5 s). */
  timeoutMs?: number;
}

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, detail, fix });
const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function doctor(options: DoctorOptions): Promise<Check[]> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const checks: Check[] = [];
  let env: Env;
  try {
    env = parseEnv(options.source);
    checks.push(pass('environment', 'every variable parses'));
  } catch (err) {
    const detail = err instanceof ConfigError ? err.problems.join('; ') : firstLine(err);
    checks.push(fail('environment', detail, 'set the variables named (README "Production")'));
    return checks;
  }

  // PUBLIC_BASE_URL: the banks send the PSU back to <it>/callback.
  if (!env.PUBLIC_BASE_URL)
    checks.push(
      fail(
        'PUBLIC_BASE_URL',
        'unset: banks would send the PSU to http://API_HOST:API_PORT/callback',
        'set PUBLIC_BASE_URL to the https origin PSUs reach the API at',
      ),
    );
  else if (!/^https?:\/\//.test(env.PUBLIC_BASE_URL))
    checks.push(fail('PUBLIC_BASE_URL', `${env.PUBLIC_BASE_URL} is not absolute`, 'use https://host[:port]'));
  else checks.push(pass('PUBLIC_BASE_URL', `${env.PUBLIC_BASE_URL}/callback`));

  // Certificates: readable, key matches, roles and organizationIdentifier.
  const pairs: Partial<Record<'qwac' | 'qseal', PemPair>> = {};
  for (const [name, certVar, keyVar] of [
    ['qwac', 'QWAC_CERT_PATH', 'QWAC_KEY_PATH'],
    ['qseal', 'QSEAL_CERT_PATH', 'QSEAL_KEY_PATH'],
  ] as const) {
    const label = `${name.toUpperCase()} certificate`;
    const cert = env[certVar];
    const key = env[keyVar];
    if (!cert || !key) {
      checks.push(fail(label, `${!cert ? certVar : keyVar} is unset`, `set ${certVar} and ${keyVar} to PEM files`));
      continue;
    }
    try {
      const pair = loadPemPair(cert, key);
      pairs[name] = pair;
      const info = inspectCertificate(pair.certificatePem, cert);
      const roles = info.psd2?.roles ?? [];
      const problems = [
        ...(roles.length ? [] : ['no PSD2 roles (QC statement)']),
        ...(roles.includes('PSP_AI') ? [] : roles.length ? ['no PSP_AI role'] : []),
        ...(info.organizationIdentifier ? [] : ['no organizationIdentifier']),
      ];
      if (problems.length)
        checks.push(fail(label, `${cert}: ${problems.join(', ')}`, 'use the eIDAS certificate your QTSP issued'));
      else
        checks.push(
          pass(
            label,
            `${cert}: key matches, roles ${roles.join(',')}, organizationIdentifier ${info.organizationIdentifier}`,
          ),
        );
    } catch (err) {
      checks.push(fail(label, firstLine(err), `fix ${certVar} / ${keyVar}: PEM certificate and its private key`));
    }
  }
  const orgId = pairs.qwac ? inspectCertificate(pairs.qwac.certificatePem).organizationIdentifier : undefined;
  if (pairs.qwac && pairs.qseal) {
    const sealOrg = inspectCertificate(pairs.qseal.certificatePem).organizationIdentifier;
    if (sealOrg !== orgId)
      checks.push(
        fail('QWAC and QSEAL organisation', `QWAC ${orgId}, QSEAL ${sealOrg}`, 'both must be issued to the TPP'),
      );
  }

  // Bank CA.
  let bankCaPem: string | undefined;
  if (!env.BANK_CA_PATH) checks.push(fail('bank CA', 'BANK_CA_PATH is unset', 'set BANK_CA_PATH to a PEM bundle'));
  else {
    try {
      bankCaPem = readBankCa(env.BANK_CA_PATH);
      checks.push(pass('bank CA', env.BANK_CA_PATH));
    } catch (err) {
      checks.push(fail('bank CA', firstLine(err), 'BANK_CA_PATH must be the PEM bundle the banks chain to'));
    }
  }

  // Profiles.
  let profiles: BankProfile[] = [];
  if (!env.BANK_PROFILES_FILE)
    checks.push(fail('bank profiles', 'BANK_PROFILES_FILE is unset', 'set BANK_PROFILES_FILE (README "Production")'));
  else {
    try {
      profiles = loadBankProfiles(env.BANK_PROFILES_FILE);
      checks.push(pass('bank profiles', `${env.BANK_PROFILES_FILE}: ${profiles.map((p) => p.id).join(', ')}`));
    } catch (err) {
      checks.push(fail('bank profiles', firstLine(err), 'fix the file named'));
    }
  }
  for (const profile of profiles.filter((p) => p.family === 'enfuce')) {
    const clientId = profile.oauth?.clientId;
    if (orgId && clientId !== orgId)
      checks.push(
        fail(
          `${profile.id} clientId`,
          `clientId ${clientId} differs from the QWAC's organizationIdentifier ${orgId}`,
          `set clientId: ${orgId} in BANK_PROFILES_FILE`,
        ),
      );
    else if (orgId) checks.push(pass(`${profile.id} clientId`, `equals the QWAC's organizationIdentifier`));
  }

  // Each bank over mTLS: a harmless signed read of a consent that does not exist.
  if (pairs.qwac && pairs.qseal && bankCaPem && profiles.length) {
    let directory: BankDirectory | undefined;
    try {
      const credentials = { qwac: pairs.qwac, qseal: pairs.qseal, bankCaPem };
      directory = createBankDirectory(
        profiles.map((profile) => ({ profile, credentials })),
        options.logger,
        { requestTimeoutMs: timeoutMs },
      );
      for (const profile of profiles) checks.push(...(await probeBank(directory, profile, timeoutMs)));
    } catch (err) {
      checks.push(fail('banks', firstLine(err), 'fix the bank configuration named'));
    } finally {
      await directory?.close();
    }
  }

  checks.push(await temporalCheck(env, timeoutMs));
  return checks;
}

async function probeBank(directory: BankDirectory, profile: BankProfile, timeoutMs: number): Promise<Check[]> {
  const name = `${profile.id} reachable`;
  try {
    await within(
      timeoutMs + 1_000,
      profile.baseUrl,
      directory.get(profile.id).client.getConsentStatus(`doctor-${randomUUID()}`),
    );
    return [pass(name, `${profile.baseUrl} answered over mTLS`)];
  } catch (err) {
    if (!(err instanceof Xs2aError)) return [fail(name, firstLine(err), `check ${profile.baseUrl} and the network`)];
    if (profile.family === 'bec' && err.codes.includes('CERTIFICATE_BLOCKED'))
      return [
        pass(name, `${profile.baseUrl} answered over mTLS`),
        fail(`${profile.id} enrolment`, 'the QSEAL is not enrolled', 'run `npm run -s ops -- enrol`'),
      ];
    if (err.status !== undefined && !['certificate', 'signature'].includes(err.kind))
      return [
        pass(name, `${profile.baseUrl} answered over mTLS (HTTP ${err.status} to a probe)`),
        ...(profile.family === 'bec' ? [pass(`${profile.id} enrolment`, 'the QSEAL is enrolled')] : []),
      ];
    const fix =
      err.kind === 'configuration'
        ? 'BANK_CA_PATH must hold the CA the bank’s TLS certificate chains to'
        : err.kind === 'certificate' || err.kind === 'signature'
          ? 'the bank refused our QWAC/QSEAL: check QWAC_CERT_PATH/QSEAL_CERT_PATH and the registration with the bank'
          : `check that ${profile.baseUrl} is reachable from this host`;
    return [fail(name, firstLine(err), fix)];
  }
}

async function temporalCheck(env: Env, timeoutMs: number): Promise<Check> {
  const name = 'Temporal';
  let connection: Connection | undefined;
  try {
    connection = await within(
      timeoutMs,
      'connecting',
      Connection.connect({ ...temporalConnectionOptions(env), connectTimeout: timeoutMs }),
    );
    const problems = await within(
      timeoutMs,
      'listing search attributes',
      searchAttributeProblems(connection, env.TEMPORAL_NAMESPACE),
    );
    if (problems.length)
      return fail(
        name,
        `${env.TEMPORAL_ADDRESS} namespace ${env.TEMPORAL_NAMESPACE}: search attributes ${problems
          .map((p) => `${p.name} ${p.problem}`)
          .join(', ')}`,
        'run `npm run -s ops -- temporal-setup`',
      );
    return pass(name, `${env.TEMPORAL_ADDRESS} namespace ${env.TEMPORAL_NAMESPACE}, search attributes in place`);
  } catch (err) {
    return fail(
      name,
      `${env.TEMPORAL_ADDRESS}: ${firstLine(err)}`,
      'check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TLS/API key',
    );
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

export function formatChecks(checks: Check[]): string {
  return checks
    .map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}${c.ok || !c.fix ? '' : ` — fix: ${c.fix}`}`)
    .join('\n');
}
