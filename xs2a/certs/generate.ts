import { generateKeyPairSync, randomBytes, randomInt, sign as cryptoSign } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { CertificateError } from './errors';
import { ORGANIZATION_IDENTIFIER_OID } from './dn';
import { parseCertificatePem } from './inspect';
import { QC_TYPE_ESEAL_OID, QC_TYPE_WEB_OID, psd2QcStatementsExtension, type QcStatementsForm } from './qc-statements';
import {
  PSD2_ROLES,
  type GenerateSandboxOptions,
  type PemPair,
  type Psd2QcStatement,
  type SandboxCertificateSet,
} from './types';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Backdating absorbs clock skew between the machine that issues and the one that verifies. */
const BACKDATE_MS = 5 * 60 * 1000;

/** Options beyond the contract's, for tests that need unusual certificates. */
export interface SandboxGenerationOptions extends GenerateSandboxOptions {
  /** How the QC statements extension is encoded (default RFC 3739 'sequence-of'). */
  qcStatementsForm?: QcStatementsForm;
}

export interface ServerCertificateOptions {
  hostnames: string[];
  ips: string[];
  validDays?: number;
  keyBits?: number;
}

type ForgeAttribute = { type?: string; shortName?: string; value: string; valueTagClass?: number };

interface KeyPair {
  privateKeyPem: string;
  publicKey: forge.pki.PublicKey;
}

/** RSA via node:crypto: forge's pure-JS key generation takes seconds per key. */
function newRsaKeyPair(bits: number): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKey: forge.pki.publicKeyFromPem(publicKey) };
}

/** 16 random bytes, high bit clear (positive without padding) and first byte non-zero (minimal DER). */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0] & 0x7f || 0x01;
  return bytes.toString('hex');
}

function utf8Attr(shortNameOrOid: string, value: string): ForgeAttribute {
  return /^\d/.test(shortNameOrOid)
    ? { type: shortNameOrOid, value, valueTagClass: forge.asn1.Type.UTF8 }
    : { shortName: shortNameOrOid, value, valueTagClass: forge.asn1.Type.UTF8 };
}

function countryAttr(country: string): ForgeAttribute {
  return { shortName: 'C', value: country, valueTagClass: forge.asn1.Type.PRINTABLESTRING };
}

interface IssueInput {
  subject: ForgeAttribute[];
  publicKey: forge.pki.PublicKey;
  /** Absent: self-signed with signingKeyPem. */
  issuer?: forge.pki.Certificate;
  signingKeyPem: string;
  notBefore: Date;
  notAfter: Date;
  extensions: unknown[];
}

/** Builds and signs a certificate; the signature is made with node:crypto over forge's TBSCertificate. */
function issue(input: IssueInput): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = input.publicKey;
  cert.serialNumber = randomSerialHex();
  cert.validity.notBefore = input.notBefore;
  cert.validity.notAfter = input.notAfter;
  cert.setSubject(input.subject);
  if (input.issuer) cert.setIssuer(input.issuer.subject.attributes);
  else cert.setIssuer(input.subject);
  cert.setExtensions(input.extensions as object[]);
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  const tbs = (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(cert);
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  (cert as unknown as { tbsCertificate: forge.asn1.Asn1 }).tbsCertificate = tbs;
  cert.signature = cryptoSign('sha256', tbsDer, input.signingKeyPem).toString('binary');
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

function authorityKeyId(issuer: forge.pki.Certificate): { name: string; keyIdentifier: string } {
  return { name: 'authorityKeyIdentifier', keyIdentifier: issuer.generateSubjectKeyIdentifier().getBytes() };
}

function validity(notBefore: Date | undefined, validDays: number): { notBefore: Date; notAfter: Date } {
  const start = notBefore ? new Date(notBefore.getTime()) : new Date(Date.now() - BACKDATE_MS);
  return { notBefore: start, notAfter: new Date(start.getTime() + validDays * DAY_MS) };
}

function makeCa(bits: number, notBefore: Date | undefined, validDays: number): PemPair {
  const keys = newRsaKeyPair(bits);
  // The CA outlives the certificates it issues so that a short validDays still yields a usable CA.
  const window = validity(notBefore, Math.max(validDays, 1) + 365);
  const certificatePem = issue({
    subject: [countryAttr('DK'), utf8Attr('O', 'Sandbox QTSP'), utf8Attr('CN', 'Sandbox CA')],
    publicKey: keys.publicKey,
    signingKeyPem: keys.privateKeyPem,
    ...window,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ],
  });
  return { certificatePem, privateKeyPem: keys.privateKeyPem };
}

function countryOf(ncaId: string): string {
  const prefix = /^([A-Za-z]{2})-/.exec(ncaId)?.[1];
  return prefix ? prefix.toUpperCase() : 'DK';
}

function caCertificate(ca: PemPair): forge.pki.Certificate {
  return parseCertificatePem(ca.certificatePem, 'ca.pem');
}

/**
 * A sandbox CA plus a QWAC (TLS client) and a QSEAL (HTTP signatures), both carrying the
 * PSD2 QC statement and an organizationIdentifier, as a bank portal would hand them out.
 */
export function generateSandboxCertificates(opts: SandboxGenerationOptions = {}): SandboxCertificateSet {
  const bits = opts.keyBits ?? 2048;
  const validDays = opts.validDays ?? 365;
  const ncaId = opts.ncaId ?? 'DK-DFSA';
  const psd2: Psd2QcStatement = {
    roles: [...(opts.roles ?? PSD2_ROLES)],
    ncaName: opts.ncaName ?? 'Danish Financial Supervisory Authority',
    ncaId,
  };
  if (psd2.roles.length === 0) throw new CertificateError('at least one PSD2 role is required', 'roles');
  const organizationName = opts.organizationName ?? 'Sandbox TPP';
  const organizationIdentifier =
    opts.organizationIdentifier ?? `PSD${ncaId}-${String(randomInt(10_000_000, 100_000_000))}`;
  const form = opts.qcStatementsForm ?? 'sequence-of';

  const ca = opts.ca ?? makeCa(bits, opts.notBefore, validDays);
  const caCert = caCertificate(ca);
  const window = validity(opts.notBefore, validDays);
  const subjectFor = (cn: string): ForgeAttribute[] => [
    countryAttr(countryOf(ncaId)),
    utf8Attr('O', organizationName),
    utf8Attr(ORGANIZATION_IDENTIFIER_OID, organizationIdentifier),
    utf8Attr('CN', cn),
  ];

  const qwacKeys = newRsaKeyPair(bits);
  const qwac: PemPair = {
    privateKeyPem: qwacKeys.privateKeyPem,
    certificatePem: issue({
      subject: subjectFor(`${organizationName} QWAC`),
      publicKey: qwacKeys.publicKey,
      issuer: caCert,
      signingKeyPem: ca.privateKeyPem,
      ...window,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', clientAuth: true },
        { name: 'subjectKeyIdentifier' },
        authorityKeyId(caCert),
        psd2QcStatementsExtension(psd2, form, QC_TYPE_WEB_OID),
      ],
    }),
  };

  const qsealKeys = newRsaKeyPair(bits);
  const qseal: PemPair = {
    privateKeyPem: qsealKeys.privateKeyPem,
    certificatePem: issue({
      subject: subjectFor(`${organizationName} QSEAL`),
      publicKey: qsealKeys.publicKey,
      issuer: caCert,
      signingKeyPem: ca.privateKeyPem,
      ...window,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
        { name: 'subjectKeyIdentifier' },
        authorityKeyId(caCert),
        psd2QcStatementsExtension(psd2, form, QC_TYPE_ESEAL_OID),
      ],
    }),
  };

  return { ca, qwac, qseal };
}

/** TLS server certificate (serverAuth, SANs) for the sandbox banks' HTTPS, issued by `ca`. */
export function generateServerCertificate(ca: PemPair, opts: ServerCertificateOptions): PemPair {
  const names = [...opts.hostnames, ...opts.ips];
  if (names.length === 0)
    throw new CertificateError('a server certificate needs at least one hostname or IP', 'hostnames');
  for (const ip of opts.ips) if (!isIP(ip)) throw new CertificateError(`"${ip}" is not an IP address`, 'ips');
  const caCert = caCertificate(ca);
  const keys = newRsaKeyPair(opts.keyBits ?? 2048);
  const certificatePem = issue({
    subject: [countryAttr('DK'), utf8Attr('O', 'Sandbox Bank'), utf8Attr('CN', names[0])],
    publicKey: keys.publicKey,
    issuer: caCert,
    signingKeyPem: ca.privateKeyPem,
    ...validity(undefined, opts.validDays ?? 365),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...opts.hostnames.map((value) => ({ type: 2, value })), ...opts.ips.map((ip) => ({ type: 7, ip }))],
      },
      { name: 'subjectKeyIdentifier' },
      authorityKeyId(caCert),
    ],
  });
  return { certificatePem, privateKeyPem: keys.privateKeyPem };
}
