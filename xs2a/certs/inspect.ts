import { X509Certificate, createPrivateKey } from 'node:crypto';
import forge from 'node-forge';
import { CertificateError } from './errors';
import { ORGANIZATION_IDENTIFIER_OID, forgeNameAttributes, formatDnRfc4514 } from './dn';
import { QC_STATEMENTS_OID, decodePsd2QcStatement } from './qc-statements';
import type { CertificateInfo } from './types';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/;

/** The base64 body of the first CERTIFICATE block, whitespace removed; throws when there is none. */
function certificateBase64(pem: string, source?: string): string {
  const match = typeof pem === 'string' ? CERTIFICATE_BLOCK.exec(pem) : null;
  if (!match) throw new CertificateError('not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)', source);
  const body = match[1].replace(/\s+/g, '');
  if (!body || !/^[A-Za-z0-9+/]+={0,2}$/.test(body))
    throw new CertificateError('not a PEM certificate (the block is not base64)', source);
  return body;
}

/** Parses the first certificate in a PEM text. Only RSA public keys are supported (node-forge's limit). */
export function parseCertificatePem(pem: string, source?: string): forge.pki.Certificate {
  const body = certificateBase64(pem, source);
  try {
    const asn = forge.asn1.fromDer(forge.util.decode64(body));
    return forge.pki.certificateFromAsn1(asn);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (/OID is not RSA/i.test(reason))
      throw new CertificateError('unsupported certificate: only RSA public keys are supported', source);
    throw new CertificateError(`not a valid X.509 certificate (${reason})`, source);
  }
}

/** Base64 DER of the certificate, no armour: the value of the TPP-Signature-Certificate header. */
export function certificateDerBase64(pem: string, source?: string): string {
  const body = certificateBase64(pem, source);
  return Buffer.from(body, 'base64').toString('base64');
}

/** PEM of a DER certificate given as base64 (the inverse of certificateDerBase64). */
export function derBase64ToPem(derBase64: string): string {
  const clean = derBase64.replace(/\s+/g, '');
  const lines = clean.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Serial number as forge holds it: DER hex (a leading 00 kept when DER needs it), lowercase. */
function serialHex(cert: forge.pki.Certificate): string {
  return cert.serialNumber.toLowerCase();
}

function readPsd2(cert: forge.pki.Certificate): CertificateInfo['psd2'] {
  const ext = (cert.extensions as Array<{ id?: string; value?: unknown }>).find((e) => e.id === QC_STATEMENTS_OID);
  if (!ext || typeof ext.value !== 'string') return undefined;
  try {
    return decodePsd2QcStatement(ext.value);
  } catch {
    return undefined; // A broken QC statement is reported as "no PSD2 roles", not as an unreadable certificate.
  }
}

export function inspectCertificate(pemOrCert: string | forge.pki.Certificate, source?: string): CertificateInfo {
  const cert = typeof pemOrCert === 'string' ? parseCertificatePem(pemOrCert, source) : pemOrCert;
  const subjectAttrs = forgeNameAttributes(cert.subject);
  const info: CertificateInfo = {
    serialNumber: serialHex(cert),
    issuer: formatDnRfc4514(forgeNameAttributes(cert.issuer)),
    subject: formatDnRfc4514(subjectAttrs),
    notBefore: cert.validity.notBefore.toISOString(),
    notAfter: cert.validity.notAfter.toISOString(),
  };
  const cn = subjectAttrs.find((a) => a.oid === '2.5.4.3');
  if (cn) info.commonName = cn.value;
  const orgId = subjectAttrs.find((a) => a.oid === ORGANIZATION_IDENTIFIER_OID);
  if (orgId) info.organizationIdentifier = orgId.value;
  const psd2 = readPsd2(cert);
  if (psd2) info.psd2 = psd2;
  return info;
}

export interface ValidityCheck {
  expired: boolean;
  notYetValid: boolean;
  /** Set when expired, not yet valid, or expiring within warnDays. */
  warning?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Warns ahead of expiry; `source` (a file name) prefixes the warning when given. */
export function checkValidity(
  info: CertificateInfo,
  now: Date = new Date(),
  warnDays = 30,
  source?: string,
): ValidityCheck {
  const notBefore = new Date(info.notBefore);
  const notAfter = new Date(info.notAfter);
  const prefix = source ? `${source} ` : 'certificate ';
  const expired = now.getTime() > notAfter.getTime();
  const notYetValid = now.getTime() < notBefore.getTime();
  if (expired) return { expired, notYetValid, warning: `${prefix}expired on ${info.notAfter.slice(0, 10)}` };
  if (notYetValid) return { expired, notYetValid, warning: `${prefix}is not valid before ${info.notBefore}` };
  const daysLeft = (notAfter.getTime() - now.getTime()) / DAY_MS;
  if (daysLeft <= warnDays) {
    return {
      expired,
      notYetValid,
      warning: `${prefix}expires on ${info.notAfter.slice(0, 10)} (in ${Math.floor(daysLeft)} days)`,
    };
  }
  return { expired, notYetValid };
}

/** True when the private key belongs to the certificate; false also when either cannot be read. */
export function keyMatchesCertificate(certPem: string, keyPem: string): boolean {
  try {
    const x509 = new X509Certificate(certPem);
    return x509.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
