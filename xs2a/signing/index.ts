export * from './types';
export {
  buildSigningString,
  signString,
  verifyString,
  parseSignatureHeader,
  formatSignatureHeader,
  headerValues,
  SignatureFormatError,
  DEFAULT_SIGNED_HEADERS,
  type HeaderBag,
  type SigningRequest,
  type ParsedSignatureHeader,
  type SignatureHeaderFields,
} from './cavage';
export {
  computeDigest,
  parseDigestHeader,
  normalizeDigestAlgorithm,
  DigestFormatError,
  type DigestEntry,
} from './digest';
export { BEC_SIGNATURE_STYLE, ENFUCE_SIGNATURE_STYLE, SIGNATURE_STYLES, type SignatureStyleName } from './styles';
export { formatKeyId, parseKeyId, serialsEqual, KeyIdFormatError, type ParsedKeyId } from './key-id';
export { Xs2aSigner } from './signer';
export { verifyXs2aRequest, type VerifyOptions } from './verifier';
