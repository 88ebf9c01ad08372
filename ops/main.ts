/**
 * The operator's CLI: `npm run -s ops -- <command>`, or `node dist/ops/main.js <command>` after a build.
 *
 *   temporal-setup   create the search attributes the service writes (idempotent, verified)
 *   enrol [--bank <id>]  BEC: enrol the QSEAL at each configured BEC member bank (idempotent)
 *   doctor           check the production environment end to end; exit 0 only when all pass
 *
 * Exit codes: 0 done / all checks pass, 1 a check or the command failed, 2 bad usage or environment.
 */
import { Connection } from '@temporalio/client';
import { createBankDirectory } from '../banks/directory';
import { bankSetupsFromEnv } from '../banks/from-env';
import { ConfigError, parseEnv } from '../config/env';
import { createLogger } from '../logging/logger';
import { temporalConnectionOptions } from '../temporal/connection';
import { ensureSearchAttributes, requiredSearchAttributes } from '../temporal/search-attributes-admin';
import { certificateDerBase64 } from '../xs2a/certs';
import { doctor, formatChecks } from './doctor';

const USAGE = `usage: ops <temporal-setup | enrol [--bank <id>] | doctor>`;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function temporalSetup(): Promise<number> {
  const env = parseEnv();
  const connection = await Connection.connect({ ...temporalConnectionOptions(env), connectTimeout: 10_000 });
  try {
    const created = await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE);
    for (const { name } of requiredSearchAttributes())
      print(`${created.includes(name) ? 'created' : 'exists '} ${name} (Keyword) in ${env.TEMPORAL_NAMESPACE}`);
    print(`search attributes verified at ${env.TEMPORAL_ADDRESS}`);
    return 0;
  } finally {
    await connection.close();
  }
}

async function enrol(args: string[]): Promise<number> {
  const only = args[0] === '--bank' ? args[1] : undefined;
  const logger = createLogger({ level: 'warn', name: 'ops' });
  const setups = bankSetupsFromEnv().filter(
    (s) => s.profile.family === 'bec' && (only === undefined || s.profile.id === only),
  );
  if (setups.length === 0) {
    print(only ? `no BEC bank "${only}" in BANK_PROFILES_FILE` : 'no BEC bank in BANK_PROFILES_FILE: nothing to enrol');
    return only ? 2 : 0;
  }
  const directory = createBankDirectory(setups, logger);
  let failed = 0;
  try {
    for (const { profile, credentials } of setups) {
      try {
        const result = await directory
          .get(profile.id)
          .client.enrolSignatureCertificate(certificateDerBase64(credentials.qseal.certificatePem));
        print(`enrolled ${profile.id} (bank ${profile.bankId}): ${result.status} ${result.enrolmentId}`);
      } catch (err) {
        failed++;
        print(`FAIL ${profile.id} (bank ${profile.bankId}): ${(err as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    await directory.close();
  }
  return failed ? 1 : 0;
}

async function runDoctor(): Promise<number> {
  const checks = await doctor({ logger: createLogger({ level: 'silent', name: 'ops' }) });
  print(formatChecks(checks));
  const failed = checks.filter((c) => !c.ok).length;
  print(failed ? `${failed} of ${checks.length} checks failed` : `all ${checks.length} checks passed`);
  return failed ? 1 : 0;
}

export async function runOps(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'temporal-setup':
        return await temporalSetup();
      case 'enrol':
        return await enrol(args);
      case 'doctor':
        return await runDoctor();
      default:
        process.stderr.write(`${USAGE}\n`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    process.stderr.write(`ops ${command} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void runOps(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
