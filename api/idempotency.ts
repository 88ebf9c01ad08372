import { createHash } from 'node:crypto';
import type { IdempotencyRepository } from '../repositories';
import { ApiProblem } from './problem';

/** After this long without a stored answer, a reservation is taken to be from a crashed request. */
const ABANDONED_AFTER_MS = 60_000;

/** Bodies are bounded by the validator (JSON_LIMITS); this bound only keeps a stray caller off the stack's end. */
const MAX_DEPTH = 64;

/** Key order must not make two equal bodies differ. */
function canonical(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH) {
    throw new ApiProblem(422, `the request body is nested more than ${MAX_DEPTH} levels deep`, {
      errors: [{ field: '(body)', message: `nested more than ${MAX_DEPTH} levels deep` }],
    });
  }
  if (Array.isArray(value)) return value.map((v) => canonical(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k], depth + 1)]),
    );
  }
  return value;
}

export function requestHash(body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(body) ?? null))
    .digest('hex');
}

/** A stable id for the thing a (key, Idempotency-Key) pair creates, so that a crash mid-way still yields one. */
export function idempotentId(prefix: string, apiKeyId: string, idempotencyKey: string): string {
  return `${prefix}_${createHash('sha256').update(`${apiKeyId}\n${idempotencyKey}`).digest('hex').slice(0, 32)}`;
}

export type Reservation =
  | { kind: 'replay'; statusCode: number; response: unknown }
  | { kind: 'proceed'; complete(statusCode: number, response: unknown): Promise<void>; release(): Promise<void> };

/**
 * Reserves (apiKeyId, key) for this request. The same body again replays the stored answer;
 * another body conflicts with what the key is bound to (409, naming Idempotency-Key), as does a
 * request still in flight (409). The IETF draft suggests 422 for the first; 409 says what it is: the
 * key is taken, the body is not at fault.
 */
export async function reserve(
  store: IdempotencyRepository,
  apiKeyId: string,
  key: string,
  hash: string,
  now: number,
): Promise<Reservation> {
  const proceed: Reservation = {
    kind: 'proceed',
    complete: (statusCode, response) => store.complete(apiKeyId, key, statusCode, response),
    release: () => store.release(apiKeyId, key),
  };
  if (await store.reserve(apiKeyId, key, hash, now)) return proceed;

  const existing = await store.find(apiKeyId, key);
  if (!existing) return reserve(store, apiKeyId, key, hash, now); // released between our insert and read
  if (existing.requestHash !== hash) {
    throw new ApiProblem(409, 'this Idempotency-Key was used with a different request body', {
      errors: [{ field: 'Idempotency-Key', message: 'reused with a different request body' }],
    });
  }
  if (existing.statusCode !== null)
    return { kind: 'replay', statusCode: existing.statusCode, response: existing.response };
  // Take over a reservation whose request died; the stable id makes the retry land on the same connection.
  if (await store.takeOver(apiKeyId, key, now - ABANDONED_AFTER_MS, now)) return proceed;
  throw new ApiProblem(409, 'a request with this Idempotency-Key is still in progress');
}

export interface IdempotentCreate<T> {
  statusCode: number;
  response: T;
  /** The stored answer of an earlier request with the same key and body (Idempotency-Replayed). */
  replayed: boolean;
}

/**
 * A create under an optional Idempotency-Key. Without a key it simply runs. With one, the same body
 * again gets the stored answer, and `create` is given the stable id the key stands for, so a request
 * that crashed half-way and its retry make one thing. A failure releases the key: nothing was
 * answered, so a retry may try again.
 */
export async function idempotentCreate<T>(
  store: IdempotencyRepository,
  request: { apiKeyId: string; key: string | undefined; body: unknown; now: number; idPrefix: string },
  create: (stableId: string | undefined) => Promise<T>,
): Promise<IdempotentCreate<T>> {
  if (!request.key) return { statusCode: 201, response: await create(undefined), replayed: false };
  const reservation = await reserve(store, request.apiKeyId, request.key, requestHash(request.body), request.now);
  if (reservation.kind === 'replay')
    return { statusCode: reservation.statusCode, response: reservation.response as T, replayed: true };
  try {
    const response = await create(idempotentId(request.idPrefix, request.apiKeyId, request.key));
    await reservation.complete(201, response);
    return { statusCode: 201, response, replayed: false };
  } catch (err) {
    await reservation.release();
    throw err;
  }
}
