/**
 * Process conventions shared by the entry points (api/main.ts, worker/main.ts, ops/main.ts).
 *
 * Exit codes: 0 stopped cleanly (SIGTERM/SIGINT), 1 failed at run time or the graceful stop
 * overran its deadline, 2 refused to start on configuration (the message names the variable or file).
 */
import { BankConfigError } from '../banks/from-env';
import { ConfigError } from './env';
import { CertificateError } from '../xs2a/certs';
import { Xs2aError } from '../xs2a/errors';
import { SearchAttributesError } from '../temporal/search-attributes-admin';

/** A graceful stop (API drain, worker hand-back) that takes longer than this ends the process with 1. */
export const SHUTDOWN_DEADLINE_MS = 30_000;

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CONFIGURATION = 2;

export function exitCodeFor(err: unknown): number {
  if (
    err instanceof ConfigError ||
    err instanceof BankConfigError ||
    err instanceof CertificateError ||
    err instanceof SearchAttributesError ||
    (err instanceof Xs2aError && err.kind === 'configuration')
  )
    return EXIT_CONFIGURATION;
  return EXIT_FAILED;
}

/** Ends the process with 1 if a graceful stop has not finished in time; does not keep it alive. */
export function hardStopAfter(ms: number, what: string): void {
  setTimeout(() => {
    process.stderr.write(`${what}: graceful stop did not finish within ${ms} ms; exiting\n`);
    process.exit(EXIT_FAILED);
  }, ms).unref();
}
