import { X509Certificate, type KeyObject } from 'node:crypto';
import type forge from 'node-forge';
import { forgeNameAttributes, formatDnRfc4514 } from '../certs/dn';
import { checkValidity, derBase64ToPem, inspectCertificate, parseCertificatePem } from '../certs/inspect';
import type { CertificateInfo } from '../certs/types';
import {
  buildSigningString,
  hasHeader,
  headerValues,
  isStrictBase64,
  isSupportedSignatureAlgorithm,
  parseSignatureHeader,
  verifyString,
  type HeaderBag,
  type ParsedSignatureHeader,
} from './cavage';
import { computeDigest, parseDigestHeader } from './digest';
import { dnEquals, parseKeyId, serialsEqual, type ParsedKeyId } from './key-id';
import {
  XS2A_SIGNABLE_HEADERS,
  type SignatureAlgorithm,
  type VerificationCode,
  type VerificationIssue,
  type VerificationResult,
  type VerifyRequestInput,
} from './types';

const REQUIRED_SIGNED = ['digest', 'x-request-id'] as const;
const SIGNED_IF_PRESENT = ['psu-id', 'psu-corporate-id', 'tpp-redirect-uri'] as const;

/** Options beyond the contract's input. */
export interface VerifyOptions {
  /** Clock for the certificate's validity period (default now). */
  now?: Date;
}

interface LoadedCertificate {
  pem: string;
  publicKey: KeyObject;
  cert: forge.pki.Certificate;
}

function short(value: string, max = 120): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/** Headers as a plain bag; anything that is not a string or string[] is dropped (garbage in, no throw). */
function sanitizeHeaders(headers: unknown): HeaderBag {
  if (!headers || typeof headers !== 'object') return {};
  const bag: HeaderBag = {};
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (typeof value === 'string') bag[key] = value;
    else if (Array.isArray(value)) bag[key] = value.filter((v): v is string => typeof v === 'string');
  }
  return bag;
}

/**
 * Parsed certificates by PEM. A TPP sends the same QSEAL on every request and forge's parse is
 * most of the verification cost, so a small bounded cache pays off; entries are immutable.
 */
const CERTIFICATE_CACHE_LIMIT = 64;
const certificateCache = new Map<string, LoadedCertificate & { info: CertificateInfo }>();

function loadCertificate(pem: string): LoadedCertificate & { info: CertificateInfo } {
  const cached = certificateCache.get(pem);
  if (cached) return cached;
  const cert = parseCertificatePem(pem, 'certificate');
  const publicKey = new X509Certificate(pem).publicKey;
  const loaded = { pem, publicKey, cert, info: inspectCertificate(cert) };
  if (certificateCache.size >= CERTIFICATE_CACHE_LIMIT) certificateCache.delete(certificateCache.keys().next().value!);
  certificateCache.set(pem, loaded);
  return loaded;
}

/**
 * Checks an incoming XS2A request's Digest and Signature against the Berlin Group rules and
 * reports every problem found, each with the code a sandbox bank answers with. Never throws.
 */
export function verifyXs2aRequest(input: VerifyRequestInput, options: VerifyOptions = {}): VerificationResult {
  const errors: VerificationIssue[] = [];
  const warnings: VerificationIssue[] = [];
  const error = (code: VerificationCode, message: string): void => {
    errors.push({ code, message });
  };
  const result: VerificationResult = { ok: false, errors, warnings };
  try {
    const headers = sanitizeHeaders(input?.headers);
    const body = typeof input?.body === 'string' || input?.body instanceof Uint8Array ? input.body : undefined;

    checkDigest(headers, body, error);
    const signature = readSignature(headers, error);
    if (signature) {
      result.keyId = signature.keyId;
      result.signedHeaders = signature.headers;
    }
    const allHeadersPresent = signature ? checkSignedHeaders(signature, headers, error) : false;
    const algorithms = signature ? signatureAlgorithms(signature, error) : [];
    // An expired or not yet valid certificate is reported, and everything else is still checked against it.
    const certificate = readCertificate(input, headers, options.now ?? new Date(), error);
    if (certificate) result.certificatePem = certificate.pem;
    const keyId = signature ? readKeyId(signature.keyId, error) : undefined;
    if (keyId) result.keyIdCaEncoding = keyId.caEncoding;
    if (keyId && certificate) {
      checkKeyId(keyId, certificate.cert, input?.strict === true, error, (issue) => warnings.push(issue));
    }
    if (signature && certificate && allHeadersPresent && algorithms.length > 0 && isStrictBase64(signature.signature)) {
      const signingString = buildSigningString(signature.headers, { method: '', path: '', headers });
      const verified = algorithms.some((alg) =>
        verifyString(signingString, signature.signature, certificate.publicKey, alg),
      );
      if (!verified) {
        error(
          'SIGNATURE_INVALID',
          `Signature does not verify with the certificate's public key over the headers "${signature.headers.join(' ')}"`,
        );
      }
    }
  } catch (err) {
    // Defensive: every step above is meant to report, not throw. Reaching here is a bug, but a
    // bank must still answer with a reason rather than crash.
    error('SIGNATURE_INVALID', `Signature could not be verified (${err instanceof Error ? err.message : String(err)})`);
  }
  result.ok = errors.length === 0;
  return result;
}

type Report = (code: VerificationCode, message: string) => void;

function checkDigest(headers: HeaderBag, body: Uint8Array | string | undefined, error: Report): void {
  const values = headerValues(headers, 'digest');
  if (values.length === 0) return error('DIGEST_MISSING', 'Digest header is missing');
  const raw = values.join(', ');
  let entries;
  try {
    entries = parseDigestHeader(raw);
  } catch (err) {
    return error('DIGEST_MALFORMED', `Digest header "${short(raw)}" is malformed: ${(err as Error).message}`);
  }
  const supported = entries.filter((e) => e.supported);
  if (supported.length === 0) {
    return error(
      'DIGEST_ALGORITHM_UNSUPPORTED',
      `Digest algorithm ${entries.map((e) => e.algorithm).join(', ')} is not supported; use SHA-256 or SHA-512`,
    );
  }
  for (const entry of supported) {
    const expected = computeDigest(body, entry.supported!);
    const given = `${entry.supported}=${entry.value}`;
    if (given !== expected) {
      error('DIGEST_MISMATCH', `Digest mismatch: header says ${given}, body hashes to ${expected}`);
    }
  }
}

function readSignature(headers: HeaderBag, error: Report): ParsedSignatureHeader | undefined {
  const values = headerValues(headers, 'signature');
  if (values.length === 0) {
    error('SIGNATURE_MISSING', 'Signature header is missing');
    return undefined;
  }
  if (values.length > 1) {
    error('SIGNATURE_MALFORMED', 'Signature header appears more than once');
    return undefined;
  }
  try {
    const parsed = parseSignatureHeader(values[0]);
    if (!isStrictBase64(parsed.signature))
      error('SIGNATURE_MALFORMED', 'Signature header: the signature parameter is not base64');
    return parsed;
  } catch (err) {
    error('SIGNATURE_MALFORMED', (err as Error).message);
    return undefined;
  }
}

/** Returns true when every signed header is present in the request (so a signing string can be built). */
function checkSignedHeaders(signature: ParsedSignatureHeader, headers: HeaderBag, error: Report): boolean {
  const signed = signature.headers;
  if (!signature.headersSpecified) {
    // cavage-10 then means "date" only; one clear reason beats three derived ones.
    error(
      'SIGNED_HEADER_REQUIRED',
      'Signature has no headers parameter (which means "date" only); it must cover digest and x-request-id',
    );
    return false;
  }
  const seen = new Set<string>();
  for (const name of signed) {
    if (seen.has(name)) error('SIGNATURE_MALFORMED', `Signature header lists "${name}" twice in headers`);
    seen.add(name);
  }
  for (const required of REQUIRED_SIGNED) {
    if (!seen.has(required)) error('SIGNED_HEADER_REQUIRED', `Signature must cover the "${required}" header`);
  }
  for (const name of seen) {
    if (!(XS2A_SIGNABLE_HEADERS as readonly string[]).includes(name)) {
      error(
        'SIGNED_HEADER_NOT_ALLOWED',
        `Signature covers "${name}", which XS2A does not allow; sign only ${XS2A_SIGNABLE_HEADERS.join(', ')}`,
      );
    }
  }
  let allPresent = true;
  for (const name of seen) {
    if (name === '(request-target)') continue; // reported as not allowed; it needs no header
    if (!hasHeader(headers, name)) {
      allPresent = false;
      if (name === 'digest') continue; // already reported as DIGEST_MISSING
      error('SIGNED_HEADER_ABSENT', `Signature covers "${name}" but the request has no ${name} header`);
    }
  }
  for (const name of SIGNED_IF_PRESENT) {
    if (hasHeader(headers, name) && !seen.has(name)) {
      error('HEADER_NOT_SIGNED', `The request carries ${name} but the signature does not cover it`);
    }
  }
  // (request-target) cannot be rebuilt without the request line, so treat it as unverifiable.
  return allPresent && !seen.has('(request-target)');
}

/** The algorithms to try: the declared one, or both RSA variants when none is declared. */
function signatureAlgorithms(signature: ParsedSignatureHeader, error: Report): SignatureAlgorithm[] {
  if (signature.algorithm === undefined) return ['rsa-sha256', 'rsa-sha512'];
  const alg = signature.algorithm.toLowerCase();
  if (isSupportedSignatureAlgorithm(alg)) return [alg];
  error(
    'ALGORITHM_UNSUPPORTED',
    `Signature algorithm "${short(signature.algorithm, 40)}" is not supported; use rsa-sha256 or rsa-sha512`,
  );
  return [];
}

function readCertificate(
  input: VerifyRequestInput,
  headers: HeaderBag,
  now: Date,
  error: Report,
): LoadedCertificate | undefined {
  let pem: string;
  let origin: string;
  if (typeof input?.certificatePem === 'string') {
    pem = input.certificatePem;
    origin = 'The given certificate';
  } else {
    const values = headerValues(headers, 'tpp-signature-certificate');
    if (values.length === 0 || values[0] === '') {
      error('CERTIFICATE_MISSING', 'TPP-Signature-Certificate header is missing');
      return undefined;
    }
    origin = 'TPP-Signature-Certificate';
    // Some TPPs send the PEM armour or line breaks; the bytes are what matter.
    const base64 = values[0].replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    if (!isStrictBase64(base64)) {
      error('CERTIFICATE_INVALID', 'TPP-Signature-Certificate is not base64-encoded DER');
      return undefined;
    }
    pem = derBase64ToPem(base64);
  }
  let loaded: LoadedCertificate & { info: CertificateInfo };
  try {
    loaded = loadCertificate(pem);
  } catch (err) {
    error(
      'CERTIFICATE_INVALID',
      `${origin} is not a valid X.509 certificate (${(err as Error).message.replace(/^certificate: /, '')})`,
    );
    return undefined;
  }
  const validity = checkValidity(loaded.info, now, 0, origin);
  if (validity.expired || validity.notYetValid) error('CERTIFICATE_INVALID', validity.warning!);
  return loaded;
}

function readKeyId(keyId: string, error: Report): ParsedKeyId | undefined {
  try {
    return parseKeyId(keyId);
  } catch (err) {
    error('KEYID_MALFORMED', (err as Error).message);
    return undefined;
  }
}

function checkKeyId(
  parsed: ParsedKeyId,
  cert: forge.pki.Certificate,
  strict: boolean,
  error: Report,
  warn: (issue: VerificationIssue) => void,
): void {
  const problems: string[] = [];
  if (!serialsEqual(parsed.serialHex, cert.serialNumber)) {
    problems.push(`serial ${parsed.serialHex} but the certificate's serial is ${cert.serialNumber}`);
  }
  const issuer = forgeNameAttributes(cert.issuer);
  if (!dnEquals(parsed.caAttributes, issuer)) {
    problems.push(`CA "${short(parsed.ca)}" but the certificate's issuer is "${formatDnRfc4514(issuer)}"`);
  }
  if (problems.length === 0) return;
  const message = `keyId names ${problems.join(', and ')}`;
  if (strict) error('KEYID_MISMATCH', message);
  else warn({ code: 'KEYID_MISMATCH', message });
}
