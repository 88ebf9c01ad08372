import { ApplicationFailure } from '@temporalio/activity';
import { recordOurFault } from '../metrics/registry';
import { TokenDecryptError } from '../secrets/token-cipher';
import { bankFailureType, isOurFault, type BankFailureKind } from '../workflows/connection/contract';
import { Xs2aError } from '../xs2a/errors';

/**
 * Turns a bank error into the failure Temporal acts on: transient kinds retry
 * (honouring Retry-After), permanent ones fail at once with type "Xs2a.<kind>"
 * so the workflow can move the connection to the right status.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof TokenDecryptError) {
    recordOurFault('', 'configuration');
    return xs2aFailure('configuration', err.message);
  }
  if (err instanceof Xs2aError) {
    if (isOurFault(err.kind)) recordOurFault(err.aspsp ?? '', err.kind);
    return xs2aFailure(err.kind, explain(err), err.retryable, err.retryAfterMs, err);
  }
  return err;
}

/** What an operator does about it, where we know: the message is what ops read in lastError and the UI. */
export function explain(err: Xs2aError): string {
  if (err.codes.includes('CERTIFICATE_BLOCKED')) {
    return `${err.message} — our QSEAL is not enrolled at ${err.aspsp ?? 'this BEC bank'}: run \`npm run -s ops -- enrol\``;
  }
  return err.message;
}

/**
 * On a consent endpoint we call with our own credentials (client-credentials token, API key), a
 * refused token is ours, not the PSU's: it must not ask the customer to re-approve.
 */
export async function ourCredentials<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Xs2aError && (err.kind === 'token_invalid' || err.kind === 'grant_invalid')) {
      throw new Xs2aError(`the bank refused our client credentials or API key: ${err.message}`, {
        kind: 'configuration',
        status: err.status,
        tppMessages: err.tppMessages,
        requestId: err.requestId,
        operation: err.operation,
        aspsp: err.aspsp,
        cause: err,
      });
    }
    throw err;
  }
}

export function xs2aFailure(
  kind: BankFailureKind,
  message: string,
  retryable = false,
  retryAfterMs?: number,
  source?: Xs2aError,
) {
  return ApplicationFailure.create({
    type: bankFailureType(kind),
    message,
    nonRetryable: !retryable,
    nextRetryDelay: retryable && retryAfterMs !== undefined ? Math.max(retryAfterMs, 100) : undefined,
    details: source ? [{ kind, status: source.status, code: source.code, requestId: source.requestId }] : [{ kind }],
  });
}

/** Runs an activity body, converting bank errors on the way out. */
export async function bankActivity<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
