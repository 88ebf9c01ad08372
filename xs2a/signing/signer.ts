import { createPrivateKey, type KeyObject } from 'node:crypto';
import { CertificateError } from '../certs/errors';
import { forgeNameAttributes } from '../certs/dn';
import { certificateDerBase64, keyMatchesCertificate, parseCertificatePem } from '../certs/inspect';
import type { PemPair } from '../certs/types';
import { buildSigningString, formatSignatureHeader, hasHeader, signString, type HeaderBag } from './cavage';
import { computeDigest } from './digest';
import { formatKeyId } from './key-id';
import { XS2A_SIGNABLE_HEADERS, type SignatureHeaders, type SignatureStyle, type Xs2aSignableHeader } from './types';

const ALWAYS_SIGNED: readonly Xs2aSignableHeader[] = ['digest', 'x-request-id'];

/**
 * Signs XS2A requests with the QSEAL the way a bank's style asks. The signed headers are fixed
 * by the Berlin Group rules: digest and x-request-id always, psu-id, psu-corporate-id and
 * tpp-redirect-uri exactly when the request carries them.
 */
export class Xs2aSigner {
  readonly keyId: string;
  /** TPP-Signature-Certificate value: base64 DER of the QSEAL. */
  readonly certificateHeader: string;
  private readonly privateKey: KeyObject;

  constructor(
    qseal: PemPair,
    private readonly style: SignatureStyle,
  ) {
    const cert = parseCertificatePem(qseal.certificatePem, 'QSEAL certificate');
    if (!keyMatchesCertificate(qseal.certificatePem, qseal.privateKeyPem)) {
      throw new CertificateError(
        'QSEAL private key does not match the QSEAL certificate (public keys differ)',
        'QSEAL private key',
      );
    }
    // All five, not only the two always signed: a header missing from the order would go unsigned when present.
    const missing = XS2A_SIGNABLE_HEADERS.filter((name) => !style.headerOrder.includes(name));
    if (missing.length)
      throw new Error(`signature style headerOrder must include ${missing.map((name) => `"${name}"`).join(', ')}`);
    this.privateKey = createPrivateKey(qseal.privateKeyPem);
    this.keyId = formatKeyId(cert.serialNumber, forgeNameAttributes(cert.issuer), style);
    this.certificateHeader = certificateDerBase64(qseal.certificatePem);
  }

  /** The lowercase header names that a request with these headers gets signed over, in style order. */
  signedHeadersFor(headers: HeaderBag): Xs2aSignableHeader[] {
    return this.style.headerOrder.filter((name) => ALWAYS_SIGNED.includes(name) || hasHeader(headers, name));
  }

  sign(headers: HeaderBag, body?: Uint8Array | string): SignatureHeaders {
    if (!hasHeader(headers, 'x-request-id')) throw new Error('X-Request-ID header is required to sign an XS2A request');
    const digest = computeDigest(body, this.style.digestAlgorithm);
    const signed = this.signedHeadersFor(headers);
    // Any Digest the caller set is replaced by the one computed here, so it is what gets signed.
    const withDigest: HeaderBag = { ...withoutHeader(headers, 'digest'), digest };
    const signingString = buildSigningString(signed, { method: '', path: '', headers: withDigest });
    const signature = signString(signingString, this.privateKey, this.style.signatureAlgorithm);
    return {
      Digest: digest,
      Signature: formatSignatureHeader({
        keyId: this.keyId,
        algorithm: this.style.signatureAlgorithm,
        headers: signed,
        signature,
      }),
      'TPP-Signature-Certificate': this.certificateHeader,
    };
  }
}

function withoutHeader(headers: HeaderBag, name: string): HeaderBag {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name));
}
