import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { derBase64ToPem, inspectCertificate, parseDn } from '../xs2a/certs';
import type { CertificateInfo, Psd2Role } from '../xs2a/certs/types';
import { ApiFailure } from './http';

/** A TPP certificate that chains to the sandbox TPP CA and is within its dates. */
export interface TrustedCertificate {
  pem: string;
  info: CertificateInfo;
  /** O, else CN: the name a PSU sees on the consent page. */
  displayName: string;
}

const ORGANIZATION_NAME_OID = '2.5.4.10';
const COMMON_NAME_OID = '2.5.4.3';

/** The first value of an attribute in an RFC 4514 subject, read with the project's DN parser. */
function subjectAttribute(subject: string, oid: string): string | undefined {
  try {
    return parseDn(subject).find((a) => a.oid === oid)?.value;
  } catch {
    return undefined;
  }
}

/**
 * Checks a certificate against the TPP CA the way a bank's gateway does. `now` is real time:
 * certificates live in the real world, not on the sandbox clock that tests move by months.
 */
export function trustCertificate(pem: string, caPems: readonly string[], what: 'QWAC' | 'signing certificate', now = new Date()): TrustedCertificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new ApiFailure(401, 'CERTIFICATE_INVALID', `The ${what} could not be parsed as an X.509 certificate`);
  }
  const issuer = caPems.map((ca) => new X509Certificate(ca)).find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
  if (!issuer) {
    throw new ApiFailure(401, 'CERTIFICATE_INVALID', `The ${what} (issuer "${cert.issuer.replace(/\n/g, ', ')}") does not chain to the sandbox TPP CA`);
  }
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from) throw new ApiFailure(401, 'CERTIFICATE_INVALID', `The ${what} is not valid before ${from.toISOString()}`);
  if (now > to) throw new ApiFailure(401, 'CERTIFICATE_EXPIRED', `The ${what} expired at ${to.toISOString()}`);
  let info: CertificateInfo;
  try {
    info = inspectCertificate(pem);
  } catch (err) {
    throw new ApiFailure(401, 'CERTIFICATE_INVALID', `The ${what} could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  const displayName = subjectAttribute(info.subject, ORGANIZATION_NAME_OID) ?? info.commonName ?? subjectAttribute(info.subject, COMMON_NAME_OID) ?? 'Unknown TPP';
  return { pem, info, displayName };
}

/** The TLS client certificate (QWAC) of this connection, checked; throws ApiFailure when absent or untrusted. */
export function clientCertificate(socket: TLSSocket, caPems: readonly string[]): TrustedCertificate {
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(false) : undefined;
  if (!peer || !peer.raw || Object.keys(peer).length === 0) {
    throw new ApiFailure(401, 'CERTIFICATE_MISSING', 'No TLS client certificate (QWAC) was presented');
  }
  const trusted = trustCertificate(derBase64ToPem(peer.raw.toString('base64')), caPems, 'QWAC');
  if (!trusted.info.organizationIdentifier) {
    throw new ApiFailure(401, 'CERTIFICATE_INVALID', 'The QWAC subject has no organizationIdentifier (2.5.4.97)');
  }
  return trusted;
}

/** 401 ROLE_INVALID unless the QWAC carries the PSD2 role the service needs. */
export function requireRole(cert: TrustedCertificate, role: Psd2Role | undefined): void {
  if (!role) return;
  const roles = cert.info.psd2?.roles ?? [];
  if (!roles.includes(role)) {
    throw new ApiFailure(401, 'ROLE_INVALID', `The QWAC's PSD2 roles [${roles.join(', ') || 'none'}] do not include ${role}, which this service requires`);
  }
}
