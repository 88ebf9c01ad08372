import type { SignatureStyle } from './types';

/** BEC: digest first, CA in RFC 4514 order, lowercase serial. */
export const BEC_SIGNATURE_STYLE: SignatureStyle = Object.freeze({
  digestAlgorithm: 'SHA-256',
  signatureAlgorithm: 'rsa-sha256',
  headerOrder: Object.freeze(['digest', 'x-request-id', 'psu-id', 'psu-corporate-id', 'tpp-redirect-uri'] as const),
  caFormat: 'rfc4514',
  serialCase: 'lower',
});

/**
 * Enfuce (Rocker, ST1): x-request-id first, uppercase serial, CA in X.500 order with ", " and
 * URL-encoded, as Enfuce documents: "SN=<serial hex>,CA=<URL-encoded DN of the QSEALC issuer>".
 */
export const ENFUCE_SIGNATURE_STYLE: SignatureStyle = Object.freeze({
  digestAlgorithm: 'SHA-256',
  signatureAlgorithm: 'rsa-sha256',
  headerOrder: Object.freeze(['x-request-id', 'digest', 'psu-id', 'psu-corporate-id', 'tpp-redirect-uri'] as const),
  caFormat: 'x500',
  caEncoding: 'url',
  serialCase: 'upper',
});

export const SIGNATURE_STYLES = { bec: BEC_SIGNATURE_STYLE, enfuce: ENFUCE_SIGNATURE_STYLE } as const;
export type SignatureStyleName = keyof typeof SIGNATURE_STYLES;
