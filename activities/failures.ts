import { ApplicationFailure } from '@temporalio/activity';
import { bankFailureType, type BankFailureKind } from '../workflows/connection/contract';
import { Xs2aError } from '../xs2a/errors';

/**
 * Turns a bank error into the failure Temporal acts on: transient kinds retry
 * (honouring Retry-After), permanent ones fail at once with type "Xs2a.<kind>"
 * so the workflow can move the connection to the right status.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof Xs2aError) return xs2aFailure(err.kind, err.message, err.retryable, err.retryAfterMs, err);
  return err;
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
