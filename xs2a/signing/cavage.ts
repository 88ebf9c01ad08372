import {
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import type { SignatureAlgorithm } from './types';

/** draft-cavage-http-signatures-10, independent of XS2A rules. */

export type HeaderBag = Record<string, string | string[] | undefined>;

export interface SigningRequest {
  method: string;
  /** Path plus query, as on the request line. */
  path: string;
  headers: HeaderBag;
}

export interface ParsedSignatureHeader {
  keyId: string;
  algorithm?: string;
  /** Lowercase; ["date"] when the header has no headers parameter (cavage-10 §2.1.3). */
  headers: string[];
  /** False when the headers parameter was absent and the default applies. */
  headersSpecified: boolean;
  signature: string;
}

export class SignatureFormatError extends Error {
  override name = 'SignatureFormatError';
}

export const DEFAULT_SIGNED_HEADERS = ['date'] as const;

const HASH_OF: Record<SignatureAlgorithm, string> = { 'rsa-sha256': 'sha256', 'rsa-sha512': 'sha512' };

export function isSupportedSignatureAlgorithm(alg: string): alg is SignatureAlgorithm {
  return Object.prototype.hasOwnProperty.call(HASH_OF, alg);
}

/**
 * All values of a header, case-insensitively, in the order given. Values are trimmed; an
 * absent header yields [].
 */
export function headerValues(headers: HeaderBag, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'string') values.push(v.trim());
    }
  }
  return values;
}

export function hasHeader(headers: HeaderBag, name: string): boolean {
  return headerValues(headers, name).length > 0;
}

/**
 * The string to sign: one "name: value" line per header, joined by "\n". Repeated headers are
 * joined by ", " as cavage-10 §2.3 requires. Throws when a named header is missing.
 */
export function buildSigningString(headerNames: string[], req: SigningRequest): string {
  const names = headerNames.length > 0 ? headerNames : [...DEFAULT_SIGNED_HEADERS];
  return names
    .map((raw) => {
      const name = raw.toLowerCase();
      if (name === '(request-target)') return `(request-target): ${req.method.toLowerCase()} ${req.path}`;
      const values = headerValues(req.headers, name);
      if (values.length === 0)
        throw new SignatureFormatError(`header "${name}" is signed but not present in the request`);
      return `${name}: ${values.join(', ')}`;
    })
    .join('\n');
}

type KeyInput = string | KeyObject;

/** base64 RSASSA-PKCS1-v1_5 signature of the UTF-8 string. */
export function signString(data: string, privateKey: KeyInput, alg: SignatureAlgorithm): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return cryptoSign(HASH_OF[alg], Buffer.from(data, 'utf8'), key).toString('base64');
}

/** Verifies against a public key, certificate PEM or KeyObject; false (never throws) on any bad input. */
export function verifyString(
  data: string,
  signatureBase64: string,
  publicKeyOrCertificate: KeyInput,
  alg: SignatureAlgorithm,
): boolean {
  try {
    if (!isSupportedSignatureAlgorithm(alg) || !isStrictBase64(signatureBase64)) return false;
    const key =
      typeof publicKeyOrCertificate === 'string' ? createPublicKey(publicKeyOrCertificate) : publicKeyOrCertificate;
    return cryptoVerify(HASH_OF[alg], Buffer.from(data, 'utf8'), key, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}

export function isStrictBase64(value: string): boolean {
  return (
    typeof value === 'string' && value.length > 0 && value.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(value)
  );
}

/**
 * Parses `keyId="…",algorithm="…",headers="…",signature="…"`, tolerating spaces around "," and
 * "=", an "Signature " auth-scheme prefix and unquoted values. Quoted values run to the next
 * quote (cavage-10 defines no escaping, and keyId DNs contain backslashes).
 */
export function parseSignatureHeader(value: string): ParsedSignatureHeader {
  if (typeof value !== 'string' || value.trim() === '') throw new SignatureFormatError('Signature header is empty');
  let text = value.trim();
  if (/^signature\s+/i.test(text) && !/^signature\s*=/i.test(text)) text = text.replace(/^signature\s+/i, '');
  const params = new Map<string, string>();
  let i = 0;
  const n = text.length;
  const skip = (): void => {
    while (i < n && /\s/.test(text[i])) i++;
  };
  while (i < n) {
    skip();
    const nameStart = i;
    while (i < n && /[A-Za-z0-9_-]/.test(text[i])) i++;
    const name = text.slice(nameStart, i);
    if (!name) throw new SignatureFormatError(`Signature header: expected a parameter name at position ${i}`);
    skip();
    if (text[i] !== '=') throw new SignatureFormatError(`Signature header: expected "=" after ${name}`);
    i++;
    skip();
    let paramValue: string;
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new SignatureFormatError(`Signature header: unterminated quoted value for ${name}`);
      paramValue = text.slice(i + 1, end);
      i = end + 1;
    } else {
      const start = i;
      while (i < n && text[i] !== ',') i++;
      paramValue = text.slice(start, i).trim();
    }
    const key = name.toLowerCase();
    if (params.has(key)) throw new SignatureFormatError(`Signature header: parameter ${name} appears twice`);
    params.set(key, paramValue);
    skip();
    if (i < n) {
      if (text[i] !== ',') throw new SignatureFormatError(`Signature header: expected "," after ${name}`);
      i++;
    }
  }
  const keyId = params.get('keyid');
  const signature = params.get('signature');
  if (!keyId) throw new SignatureFormatError('Signature header has no keyId parameter');
  if (!signature) throw new SignatureFormatError('Signature header has no signature parameter');
  const headersParam = params.get('headers');
  const headers =
    headersParam === undefined
      ? [...DEFAULT_SIGNED_HEADERS]
      : headersParam
          .split(/\s+/)
          .filter(Boolean)
          .map((h) => h.toLowerCase());
  if (headersParam !== undefined && headers.length === 0)
    throw new SignatureFormatError('Signature header has an empty headers parameter');
  const parsed: ParsedSignatureHeader = { keyId, headers, headersSpecified: headersParam !== undefined, signature };
  const algorithm = params.get('algorithm');
  if (algorithm !== undefined) parsed.algorithm = algorithm;
  return parsed;
}

export interface SignatureHeaderFields {
  keyId: string;
  algorithm?: string;
  /** Omitted from the header when undefined (the verifier then assumes ["date"]). */
  headers?: string[];
  signature: string;
}

/** `keyId="…",algorithm="…",headers="…",signature="…"` in the draft's own order. */
export function formatSignatureHeader(fields: SignatureHeaderFields): string {
  const parts = [`keyId="${fields.keyId}"`];
  if (fields.algorithm) parts.push(`algorithm="${fields.algorithm}"`);
  if (fields.headers) parts.push(`headers="${fields.headers.map((h) => h.toLowerCase()).join(' ')}"`);
  parts.push(`signature="${fields.signature}"`);
  return parts.join(',');
}
