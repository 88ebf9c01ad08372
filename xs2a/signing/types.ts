export type DigestAlgorithm = 'SHA-256' | 'SHA-512';
export type SignatureAlgorithm = 'rsa-sha256' | 'rsa-sha512';

/** The only headers an XS2A signature may cover (lowercase). */
export const XS2A_SIGNABLE_HEADERS = [
  'digest',
  'x-request-id',
  'psu-id',
  'psu-corporate-id',
  'tpp-redirect-uri',
] as const;
export type Xs2aSignableHeader = (typeof XS2A_SIGNABLE_HEADERS)[number];

/**
 * How a bank wants its signatures written. BEC's client and Enfuce's documentation
 * differ in header order and in how the CA part of keyId is spelled.
 */
export interface SignatureStyle {
  digestAlgorithm: DigestAlgorithm;
  signatureAlgorithm: SignatureAlgorithm;
  /** Order of headers in the signing string: all five, in the bank's order (digest and x-request-id always signed, the rest when present). */
  headerOrder: readonly Xs2aSignableHeader[];
  /**
   * How the issuer DN appears after "CA=" in keyId:
   * - 'rfc4514': most specific first, no spaces: "CN=Sandbox CA,O=Example,C=DK"
   * - 'x500':    least specific first, ", " separators: "C=DK, O=Example, CN=Sandbox CA"
   */
  caFormat: 'rfc4514' | 'x500';
  /**
   * How that DN is written after "CA=": 'raw' as rendered (default; BEC), or 'url': the rendered DN
   * through encodeURIComponent, as Enfuce documents ("CA=<the URL-encoded DN of the QSEALC issuer>").
   */
  caEncoding?: 'raw' | 'url';
  /** Serial number hex case in keyId. */
  serialCase: 'lower' | 'upper';
}

/** The headers a signer adds to a request. */
export interface SignatureHeaders {
  Digest: string;
  Signature: string;
  'TPP-Signature-Certificate': string;
}

export type VerificationCode =
  | 'DIGEST_MISSING'
  | 'DIGEST_MALFORMED'
  | 'DIGEST_ALGORITHM_UNSUPPORTED'
  | 'DIGEST_MISMATCH'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_MALFORMED'
  | 'ALGORITHM_UNSUPPORTED'
  | 'SIGNED_HEADER_REQUIRED' // digest or x-request-id not in headers="..."
  | 'SIGNED_HEADER_NOT_ALLOWED' // a header outside the allowed five is signed
  | 'SIGNED_HEADER_ABSENT' // headers="..." names one the request does not carry
  | 'HEADER_NOT_SIGNED' // psu-id, psu-corporate-id or tpp-redirect-uri present but not signed
  | 'CERTIFICATE_MISSING'
  | 'CERTIFICATE_INVALID'
  | 'KEYID_MALFORMED'
  | 'KEYID_MISMATCH'
  | 'SIGNATURE_INVALID';

export interface VerificationIssue {
  code: VerificationCode;
  /** One sentence a TPP developer can act on, e.g. 'Digest mismatch: header says SHA-256=abc…, body hashes to SHA-256=def…'. */
  message: string;
}

export interface VerificationResult {
  ok: boolean;
  errors: VerificationIssue[];
  /** KEYID_MISMATCH is a warning unless strict. */
  warnings: VerificationIssue[];
  signedHeaders?: string[];
  keyId?: string;
  /** How the keyId's CA was written: 'raw' DN or 'url' (URL-encoded DN); absent when keyId did not parse. */
  keyIdCaEncoding?: 'raw' | 'url';
  /** PEM of the certificate the signature was checked against. */
  certificatePem?: string;
}

export interface VerifyRequestInput {
  /** Header names in any case; repeated headers as arrays. */
  headers: Record<string, string | string[] | undefined>;
  /** The exact body bytes received (empty or undefined when none). */
  body?: Uint8Array | string;
  /** When given, verify against this certificate instead of TPP-Signature-Certificate. */
  certificatePem?: string;
  /** Treat KEYID_MISMATCH as an error. */
  strict?: boolean;
}
