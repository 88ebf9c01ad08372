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

/** What is kept of a certificate that chains to the CA: everything but the date check, which is per call. */
interface CheckedCertificate {
  validFrom: Date;
  validTo: Date;
  info?: CertificateInfo;
  displayName?: string;
  /** Why inspectCertificate could not read it (reported after the date check, as before caching). */
  readError?: string;
}

/** How many trusted certificates a server remembers by PEM. */
export const TRUSTED_CERTIFICATE_CACHE_SIZE = 256;

/**
 * The TPP CA(s) parsed once, and the certificates found to chain to them remembered by PEM
 * (at most `maxEntries`, least recently used dropped first), so a request pays for the
 * validity-date check only. Certificates that do not parse or chain are not remembered.
 */
export class CertificateTrust {
  private readonly cas: X509Certificate[];
  private readonly checked = new Map<string, CheckedCertificate>();

  constructor(
    caPems: readonly string[],
    private readonly maxEntries = TRUSTED_CERTIFICATE_CACHE_SIZE,
  ) {
    this.cas = caPems.map((ca) => new X509Certificate(ca));
  }

  get size(): number {
    return this.checked.size;
  }

  /**
   * Checks a certificate against the TPP CA the way a bank's gateway does. `now` is real time:
   * certificates live in the real world, not on the sandbox clock that tests move by months.
   */
  check(pem: string, what: 'QWAC' | 'signing certificate', now = new Date()): TrustedCertificate {
    let entry = this.checked.get(pem);
    if (entry) {
      // Most recently used last, so eviction drops the oldest.
      this.checked.delete(pem);
      this.checked.set(pem, entry);
    } else {
      entry = this.chain(pem, what);
      this.checked.set(pem, entry);
      if (this.checked.size > this.maxEntries) this.checked.delete(this.checked.keys().next().value!);
    }
    if (now < entry.validFrom)
      throw new ApiFailure(
        401,
        'CERTIFICATE_INVALID',
        `The ${what} is not valid before ${entry.validFrom.toISOString()}`,
      );
    if (now > entry.validTo)
      throw new ApiFailure(401, 'CERTIFICATE_EXPIRED', `The ${what} expired at ${entry.validTo.toISOString()}`);
    if (!entry.info)
      throw new ApiFailure(401, 'CERTIFICATE_INVALID', `The ${what} could not be read: ${entry.readError}`);
    return { pem, info: entry.info, displayName: entry.displayName! };
  }

  private chain(pem: string, what: 'QWAC' | 'signing certificate'): CheckedCertificate {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch {
      throw new ApiFailure(401, 'CERTIFICATE_INVALID', `The ${what} could not be parsed as an X.509 certificate`);
    }
    const issuer = this.cas.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
    if (!issuer) {
      throw new ApiFailure(
        401,
        'CERTIFICATE_INVALID',
        `The ${what} (issuer "${cert.issuer.replace(/\n/g, ', ')}") does not chain to the sandbox TPP CA`,
      );
    }
    const entry: CheckedCertificate = { validFrom: new Date(cert.validFrom), validTo: new Date(cert.validTo) };
    try {
      entry.info = inspectCertificate(pem);
      entry.displayName =
        subjectAttribute(entry.info.subject, ORGANIZATION_NAME_OID) ??
        entry.info.commonName ??
        subjectAttribute(entry.info.subject, COMMON_NAME_OID) ??
        'Unknown TPP';
    } catch (err) {
      entry.readError = err instanceof Error ? err.message : String(err);
    }
    return entry;
  }
}

/** One check without a cache (CA parsed anew); servers keep a CertificateTrust instead. */
export function trustCertificate(
  pem: string,
  caPems: readonly string[],
  what: 'QWAC' | 'signing certificate',
  now = new Date(),
): TrustedCertificate {
  return new CertificateTrust(caPems, 1).check(pem, what, now);
}

/** The TLS client certificate (QWAC) of this connection, checked; throws ApiFailure when absent or untrusted. */
export function clientCertificate(socket: TLSSocket, trust: CertificateTrust): TrustedCertificate {
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate(false) : undefined;
  if (!peer || !peer.raw || Object.keys(peer).length === 0) {
    throw new ApiFailure(401, 'CERTIFICATE_MISSING', 'No TLS client certificate (QWAC) was presented');
  }
  const trusted = trust.check(derBase64ToPem(peer.raw.toString('base64')), 'QWAC');
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
    throw new ApiFailure(
      401,
      'ROLE_INVALID',
      `The QWAC's PSD2 roles [${roles.join(', ') || 'none'}] do not include ${role}, which this service requires`,
    );
  }
}
