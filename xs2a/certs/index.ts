export * from './types';
export { CertificateError } from './errors';
export {
  parseCertificatePem,
  inspectCertificate,
  checkValidity,
  keyMatchesCertificate,
  certificateDerBase64,
  derBase64ToPem,
  type ValidityCheck,
} from './inspect';
export {
  loadCertificateFile,
  loadPemPair,
  writeCertificateSet,
  type CertificateSetPaths,
  type LoadPemPairOptions,
} from './files';
export {
  generateSandboxCertificates,
  generateServerCertificate,
  randomSerialHex,
  type SandboxGenerationOptions,
  type ServerCertificateOptions,
} from './generate';
export {
  QC_STATEMENTS_OID,
  PSD2_QC_STATEMENT_OID,
  PSD2_ROLE_OIDS,
  encodeQcStatements,
  decodePsd2QcStatement,
  psd2QcStatementsExtension,
  singlePsd2QcStatementExtension,
  type QcStatementsForm,
} from './qc-statements';
export {
  parseDn,
  formatDnRfc4514,
  formatDnX500,
  dnEquals,
  forgeNameAttributes,
  DnParseError,
  type DnAttribute,
} from './dn';
