export const PSD2_ROLES = ['PSP_AS', 'PSP_PI', 'PSP_AI', 'PSP_IC'] as const;
export type Psd2Role = (typeof PSD2_ROLES)[number];

export interface Psd2QcStatement {
  roles: Psd2Role[];
  ncaName: string;
  ncaId: string;
}

/** What `certs inspect` prints and what verifiers compare against. */
export interface CertificateInfo {
  /** Hex, lowercase, without leading zero bytes' padding beyond what DER holds (e.g. "1a2b3c"). */
  serialNumber: string;
  /** Issuer DN in RFC 4514 order and syntax: most specific first, "CN=Sandbox CA,O=Example,C=DK". */
  issuer: string;
  /** Subject DN, same syntax; includes organizationIdentifier (2.5.4.97) when present. */
  subject: string;
  commonName?: string;
  organizationIdentifier?: string;
  notBefore: string; // ISO 8601
  notAfter: string; // ISO 8601
  psd2?: Psd2QcStatement;
}

/** A certificate and its private key, both PEM. */
export interface PemPair {
  certificatePem: string;
  privateKeyPem: string;
}

/** What a bank's portal hands a TPP for its sandbox. */
export interface SandboxCertificateSet {
  ca: PemPair;
  /** TLS client certificate (QWAC): extendedKeyUsage clientAuth. */
  qwac: PemPair;
  /** Seal certificate (QSEAL) for HTTP signatures: keyUsage digitalSignature, nonRepudiation. */
  qseal: PemPair;
}

export interface GenerateSandboxOptions {
  roles?: Psd2Role[]; // default all four
  ncaId?: string; // default "DK-DFSA"
  ncaName?: string; // default "Danish Financial Supervisory Authority"
  organizationName?: string; // default "Sandbox TPP"
  /** PSD2 organizationIdentifier, e.g. "PSDDK-DFSA-12345678". */
  organizationIdentifier?: string;
  validDays?: number; // default 365
  keyBits?: number; // default 2048
  /** Reuse an existing CA instead of making a new one. */
  ca?: PemPair;
  /** Dates for tests of expiry (default: now). */
  notBefore?: Date;
}
