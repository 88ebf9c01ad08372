import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CertificateTrust, TRUSTED_CERTIFICATE_CACHE_SIZE, trustCertificate } from '../../sandbox/client-cert';
import { derBase64ToPem, generateSandboxCertificates } from '../../xs2a/certs';

const certs = generateSandboxCertificates({
  organizationName: 'Acme, "Quoted" + Sons; Ltd <x>',
  organizationIdentifier: 'PSDDK-DFSA-12345678',
});
const caPems = [certs.ca.certificatePem];

describe('trustCertificate', () => {
  it('shows the subject O (escaped characters and all) as the display name', () => {
    const trusted = trustCertificate(certs.qwac.certificatePem, caPems, 'QWAC');
    expect(trusted.displayName).toBe('Acme, "Quoted" + Sons; Ltd <x>');
    expect(trusted.info.organizationIdentifier).toBe('PSDDK-DFSA-12345678');
  });

  it('accepts the PEM made from the TLS peer certificate DER', () => {
    const der = new X509Certificate(certs.qwac.certificatePem).raw;
    expect(trustCertificate(derBase64ToPem(der.toString('base64')), caPems, 'QWAC').info.serialNumber).toBe(
      trustCertificate(certs.qwac.certificatePem, caPems, 'QWAC').info.serialNumber,
    );
  });
});

describe('CertificateTrust (one per server)', () => {
  it('remembers a trusted certificate by PEM but checks its dates on every call', () => {
    const trust = new CertificateTrust(caPems);
    const first = trust.check(certs.qwac.certificatePem, 'QWAC');
    const again = trust.check(certs.qwac.certificatePem, 'QWAC');
    expect(again.info).toBe(first.info);
    expect(trust.size).toBe(1);
    const validTo = new Date(first.info.notAfter);
    const validFrom = new Date(first.info.notBefore);
    expect(() => trust.check(certs.qwac.certificatePem, 'QWAC', new Date(validTo.getTime() + 1000))).toThrow(/expired/);
    expect(() => trust.check(certs.qwac.certificatePem, 'QWAC', new Date(validFrom.getTime() - 1000))).toThrow(
      /not valid before/,
    );
    expect(trust.check(certs.qwac.certificatePem, 'QWAC').displayName).toBe(first.displayName);
  });

  it('is bounded and does not remember certificates it refused', () => {
    expect(TRUSTED_CERTIFICATE_CACHE_SIZE).toBe(256);
    const trust = new CertificateTrust(caPems, 1);
    trust.check(certs.qwac.certificatePem, 'QWAC');
    trust.check(certs.qseal.certificatePem, 'signing certificate');
    expect(trust.size).toBe(1);
    const stranger = generateSandboxCertificates().qwac.certificatePem;
    expect(() => trust.check(stranger, 'QWAC')).toThrow(/does not chain/);
    expect(() => trust.check('not a certificate', 'QWAC')).toThrow(/could not be parsed/);
    expect(trust.size).toBe(1);
  });
});
