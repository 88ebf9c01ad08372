import { createHash } from 'node:crypto';
import type { DigestAlgorithm } from './types';

const HASH_OF: Record<DigestAlgorithm, { node: string; bytes: number }> = {
  'SHA-256': { node: 'sha256', bytes: 32 },
  'SHA-512': { node: 'sha512', bytes: 64 },
};

export class DigestFormatError extends Error {
  override name = 'DigestFormatError';
}

function bodyBytes(body: Uint8Array | string | undefined): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  return typeof body === 'string'
    ? Buffer.from(body, 'utf8')
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** "SHA-256=<base64>" of the exact bytes; no body hashes as empty. */
export function computeDigest(body: Uint8Array | string | undefined, alg: DigestAlgorithm): string {
  return `${alg}=${createHash(HASH_OF[alg].node).update(bodyBytes(body)).digest('base64')}`;
}

/** Canonical spelling of a supported digest algorithm, or undefined ("sha-256" → "SHA-256"). */
export function normalizeDigestAlgorithm(name: string): DigestAlgorithm | undefined {
  const upper = name.trim().toUpperCase();
  return upper === 'SHA-256' || upper === 'SHA-512' ? upper : undefined;
}

export interface DigestEntry {
  /** As written in the header. */
  algorithm: string;
  value: string;
  /** Set when the algorithm is one we support. */
  supported?: DigestAlgorithm;
}

/**
 * Parses an RFC 3230 Digest header ("SHA-256=abc=, SHA-512=def="). Throws DigestFormatError
 * when an entry has no "=", no value, a value that is not base64, or a wrong length for a
 * supported algorithm.
 */
export function parseDigestHeader(value: string): DigestEntry[] {
  if (typeof value !== 'string' || value.trim() === '') throw new DigestFormatError('Digest header is empty');
  return value.split(',').map((part) => {
    const entry = part.trim();
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new DigestFormatError(`Digest entry "${entry}" is not "<algorithm>=<base64>"`);
    const algorithm = entry.slice(0, eq).trim();
    const encoded = entry.slice(eq + 1).trim();
    if (!encoded || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
      throw new DigestFormatError(`Digest value for ${algorithm} is not base64`);
    }
    const supported = normalizeDigestAlgorithm(algorithm);
    if (supported && Buffer.from(encoded, 'base64').length !== HASH_OF[supported].bytes) {
      throw new DigestFormatError(
        `Digest value for ${algorithm} has ${Buffer.from(encoded, 'base64').length} bytes, expected ${HASH_OF[supported].bytes}`,
      );
    }
    return supported ? { algorithm, value: encoded, supported } : { algorithm, value: encoded };
  });
}
