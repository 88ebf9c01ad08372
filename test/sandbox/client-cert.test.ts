import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { trustCertificate } from '../../sandbox/client-cert';
import { derBase64ToPem, generateSandboxCertificates } from '../../xs2a/certs';

const certs = generateSandboxCertificates({ organizationName: 'Acme, "Quoted" + Sons; Ltd <x>', organizationIdentifier: 'PSDDK-DFSA-12345678' });
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
