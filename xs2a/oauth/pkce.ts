import { createHash, randomBytes } from 'node:crypto';

/**
 * PKCE (RFC 7636) and the OAuth `state`. Both are secrets of one authorisation
 * attempt: the verifier proves the token request comes from whoever started the
 * redirect, the state ties the callback to the connection that started it.
 */

export interface PkcePair {
  codeVerifier: string;
  codeChallenge: string;
  method: 'S256';
}

/** 32 random bytes encode to 43 base64url characters: the minimum RFC 7636 allows, with 256 bits of entropy. */
const VERIFIER_BYTES = 32;
const STATE_BYTES = 32;
const VERIFIER_PATTERN = /^[A-Za-z0-9\-._~]{43,128}$/;

export function createPkcePair(): PkcePair {
  const codeVerifier = randomBytes(VERIFIER_BYTES).toString('base64url');
  return { codeVerifier, codeChallenge: codeChallengeFor(codeVerifier), method: 'S256' };
}

/** S256: base64url(SHA-256(ASCII(verifier))), no padding. */
export function codeChallengeFor(codeVerifier: string): string {
  if (!VERIFIER_PATTERN.test(codeVerifier)) {
    // Do not echo the verifier: it is a secret.
    throw new Error('PKCE code verifier must be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 section 4.1)');
  }
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

/** Unguessable OAuth state for one authorisation attempt. */
export function createState(): string {
  return randomBytes(STATE_BYTES).toString('base64url');
}

/**
 * What we store and look up: the raw state travels only through the PSU's browser,
 * so a leaked database row or log line cannot be replayed as a callback.
 */
export function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}
