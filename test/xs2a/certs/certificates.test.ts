import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateError,
  QC_STATEMENTS_OID,
  certificateDerBase64,
  checkValidity,
  decodePsd2QcStatement,
  encodeQcStatements,
  generateSandboxCertificates,
  generateServerCertificate,
  inspectCertificate,
  keyMatchesCertificate,
  loadCertificateFile,
  loadPemPair,
  parseCertificatePem,
  writeCertificateSet,
  type SandboxCertificateSet,
} from '../../../xs2a/certs';

let set: SandboxCertificateSet;
let dir: string;

beforeAll(() => {
  set = generateSandboxCertificates({
    roles: ['PSP_AI', 'PSP_PI'],
    ncaId: 'DK-DFSA',
    ncaName: 'Finanstilsynet',
    organizationName: 'Acme ApS',
    organizationIdentifier: 'PSDDK-DFSA-12345678',
  });
  dir = mkdtempSync(join(tmpdir(), 'xs2a-certs-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function extension(pem: string, name: string): Record<string, unknown> | undefined {
  return parseCertificatePem(pem).getExtension(name);
}

describe('generateSandboxCertificates', () => {
  it('issues QWAC and QSEAL with the PSD2 QC statement and organizationIdentifier', () => {
    for (const name of ['qwac', 'qseal'] as const) {
      const info = inspectCertificate(set[name].certificatePem);
      expect(info.psd2).toEqual({ roles: ['PSP_AI', 'PSP_PI'], ncaName: 'Finanstilsynet', ncaId: 'DK-DFSA' });
      expect(info.organizationIdentifier).toBe('PSDDK-DFSA-12345678');
      expect(info.subject).toBe(
        `CN=Acme ApS ${name.toUpperCase()},organizationIdentifier=PSDDK-DFSA-12345678,O=Acme ApS,C=DK`,
      );
      expect(info.issuer).toBe('CN=Sandbox CA,O=Sandbox QTSP,C=DK');
      expect(info.serialNumber).toMatch(/^[0-7][0-9a-f]{31}$/);
      expect(info.serialNumber).not.toMatch(/^00/);
    }
    expect(inspectCertificate(set.ca.certificatePem).psd2).toBeUndefined();
  });

  it('defaults to all four roles and the Danish NCA', () => {
    const defaults = generateSandboxCertificates({ ca: set.ca, keyBits: 1024 });
    const info = inspectCertificate(defaults.qseal.certificatePem);
    expect(info.psd2).toEqual({
      roles: ['PSP_AS', 'PSP_PI', 'PSP_AI', 'PSP_IC'],
      ncaName: 'Danish Financial Supervisory Authority',
      ncaId: 'DK-DFSA',
    });
    expect(info.organizationIdentifier).toMatch(/^PSDDK-DFSA-\d{8}$/);
    expect(info.issuer).toBe(inspectCertificate(set.ca.certificatePem).subject);
  });

  it('chains to the CA with the right key usages', () => {
    const ca = new X509Certificate(set.ca.certificatePem);
    expect(ca.ca).toBe(true);
    for (const name of ['qwac', 'qseal'] as const) {
      const x = new X509Certificate(set[name].certificatePem);
      expect(x.checkIssued(ca)).toBe(true);
      expect(x.verify(ca.publicKey)).toBe(true);
      expect(x.ca).toBe(false);
    }
    expect(extension(set.qwac.certificatePem, 'extKeyUsage')).toMatchObject({ clientAuth: true });
    expect(extension(set.qwac.certificatePem, 'keyUsage')).toMatchObject({
      digitalSignature: true,
      keyEncipherment: true,
    });
    expect(extension(set.qseal.certificatePem, 'keyUsage')).toMatchObject({
      digitalSignature: true,
      nonRepudiation: true,
    });
    expect(extension(set.qseal.certificatePem, 'keyUsage')).not.toMatchObject({ keyEncipherment: true });
    expect(extension(set.ca.certificatePem, 'basicConstraints')).toMatchObject({ cA: true });
  });

  it('serials are random', () => {
    const serials = new Set(
      [set.ca, set.qwac, set.qseal].map((p) => inspectCertificate(p.certificatePem).serialNumber),
    );
    expect(serials.size).toBe(3);
  });
});

describe('QC statements', () => {
  const psd2 = { roles: ['PSP_AI' as const, 'PSP_IC' as const], ncaName: 'Finansinspektionen', ncaId: 'SE-FINA' };

  it('reads the RFC 3739 SEQUENCE OF and the single-statement variant alike', () => {
    const sequenceOf = encodeQcStatements(psd2, 'sequence-of', '0.4.0.1862.1.6.2');
    const single = encodeQcStatements(psd2, 'single');
    expect(sequenceOf).not.toEqual(single);
    // The single form starts with the statement OID directly; the RFC form with a nested SEQUENCE.
    expect(forge.asn1.fromDer(single).value[0]).toMatchObject({ type: forge.asn1.Type.OID });
    expect(forge.asn1.fromDer(sequenceOf).value[0]).toMatchObject({ type: forge.asn1.Type.SEQUENCE });
    expect(decodePsd2QcStatement(sequenceOf)).toEqual(psd2);
    expect(decodePsd2QcStatement(single)).toEqual(psd2);
  });

  it('a certificate with the single-statement variant inspects the same', () => {
    const lenient = generateSandboxCertificates({
      ca: set.ca,
      keyBits: 1024,
      roles: ['PSP_AI', 'PSP_PI'],
      ncaName: 'Finanstilsynet',
      qcStatementsForm: 'single',
    });
    const ext = parseCertificatePem(lenient.qseal.certificatePem).extensions.find(
      (e: { id?: string }) => e.id === QC_STATEMENTS_OID,
    ) as { value: string };
    expect(forge.asn1.fromDer(ext.value).value[0]).toMatchObject({ type: forge.asn1.Type.OID });
    expect(inspectCertificate(lenient.qseal.certificatePem).psd2).toEqual(
      inspectCertificate(set.qseal.certificatePem).psd2,
    );
  });

  it('skips unknown statements and returns undefined without a PSD2 one', () => {
    const unknownOnly = forge.asn1
      .toDer(
        forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
          forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
            forge.asn1.create(
              forge.asn1.Class.UNIVERSAL,
              forge.asn1.Type.OID,
              false,
              forge.asn1.oidToDer('0.4.0.1862.1.1').getBytes(),
            ),
          ]),
        ]),
      )
      .getBytes();
    expect(decodePsd2QcStatement(unknownOnly)).toBeUndefined();
  });
});

describe('files and errors', () => {
  it('writes the set with private keys readable by the owner only', () => {
    const paths = writeCertificateSet(set, join(dir, 'set'));
    for (const name of ['ca', 'qwac', 'qseal'] as const) {
      expect(statSync(paths[name].privateKey).mode & 0o777).toBe(0o600);
      expect(loadCertificateFile(paths[name].certificate).info).toEqual(inspectCertificate(set[name].certificatePem));
    }
    expect(loadPemPair(paths.qseal.certificate, paths.qseal.privateKey)).toEqual(set.qseal);
  });

  it('names the file that is not a PEM certificate', () => {
    const path = join(dir, 'qwac-broken.pem');
    writeFileSync(path, 'hello, I am not a certificate\n');
    expect(() => loadCertificateFile(path)).toThrow(CertificateError);
    expect(() => loadCertificateFile(path)).toThrow(`${path}: not a PEM certificate`);
  });

  it('names the file whose certificate block is truncated', () => {
    const path = join(dir, 'qwac-truncated.pem');
    const pem = set.qwac.certificatePem;
    writeFileSync(path, `${pem.slice(0, 200)}\n-----END CERTIFICATE-----\n`);
    expect(() => loadCertificateFile(path)).toThrow(new RegExp(`^${path}: not a valid X.509 certificate`));
  });

  it('names the missing file', () => {
    expect(() => loadCertificateFile(join(dir, 'nope.pem'))).toThrow(/nope\.pem: cannot read file \(ENOENT\)/);
  });

  it('rejects a key that does not match the certificate, naming both files', () => {
    const certPath = join(dir, 'qseal.pem');
    const keyPath = join(dir, 'qseal.key');
    writeFileSync(certPath, set.qseal.certificatePem);
    writeFileSync(keyPath, set.qwac.privateKeyPem);
    expect(() => loadPemPair(certPath, keyPath)).toThrow(`${keyPath} does not match ${certPath} (public keys differ)`);
    expect(keyMatchesCertificate(set.qseal.certificatePem, set.qwac.privateKeyPem)).toBe(false);
    expect(keyMatchesCertificate(set.qseal.certificatePem, set.qseal.privateKeyPem)).toBe(true);
    expect(keyMatchesCertificate(set.qseal.certificatePem, 'garbage')).toBe(false);
  });

  it('rejects a key file that is not a key without echoing its content', () => {
    const keyPath = join(dir, 'bad.key');
    writeFileSync(keyPath, '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n');
    const certPath = join(dir, 'qseal.pem');
    writeFileSync(certPath, set.qseal.certificatePem);
    let message = '';
    try {
      loadPemPair(certPath, keyPath);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(`${keyPath}: not a readable private key`);
  });

  it('rejects an expired certificate, naming the file and the date', () => {
    const old = generateSandboxCertificates({
      keyBits: 1024,
      notBefore: new Date('2024-12-01T00:00:00Z'),
      validDays: 31,
    });
    const certPath = join(dir, 'expired-qseal.pem');
    const keyPath = join(dir, 'expired-qseal.key');
    writeFileSync(certPath, old.qseal.certificatePem);
    writeFileSync(keyPath, old.qseal.privateKeyPem);
    expect(() => loadPemPair(certPath, keyPath)).toThrow(`${certPath} expired on 2025-01-01`);
    expect(loadPemPair(certPath, keyPath, { allowExpired: true }).certificatePem).toBe(old.qseal.certificatePem);
    const validity = checkValidity(inspectCertificate(old.qseal.certificatePem), new Date(), 30, 'qseal.pem');
    expect(validity).toEqual({ expired: true, notYetValid: false, warning: 'qseal.pem expired on 2025-01-01' });
  });

  it('warns ahead of expiry and not before', () => {
    const info = inspectCertificate(set.qseal.certificatePem);
    const notAfter = new Date(info.notAfter).getTime();
    const day = 24 * 3600 * 1000;
    expect(checkValidity(info, new Date(notAfter - 10 * day)).warning).toMatch(/expires on .* \(in 10 days\)/);
    expect(checkValidity(info, new Date(notAfter - 40 * day)).warning).toBeUndefined();
    expect(checkValidity(info, new Date(new Date(info.notBefore).getTime() - day))).toMatchObject({
      notYetValid: true,
      expired: false,
    });
  });

  it('certificateDerBase64 is the DER without armour', () => {
    const b64 = certificateDerBase64(set.qseal.certificatePem);
    expect(b64).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(new X509Certificate(Buffer.from(b64, 'base64')).fingerprint256).toBe(
      new X509Certificate(set.qseal.certificatePem).fingerprint256,
    );
  });
});

describe('generateServerCertificate', () => {
  it('serves real TLS on 127.0.0.1 that a client trusting the CA accepts by IP and by name', async () => {
    const server = generateServerCertificate(set.ca, {
      hostnames: ['localhost', 'bec.sandbox.local'],
      ips: ['127.0.0.1'],
    });
    expect(new X509Certificate(server.certificatePem).subjectAltName).toBe(
      'DNS:localhost, DNS:bec.sandbox.local, IP Address:127.0.0.1',
    );
    const https = createServer({ cert: server.certificatePem, key: server.privateKeyPem }, (_req, res) =>
      res.end('ok'),
    );
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const { port } = https.address() as AddressInfo;
    const handshake = (servername: string | undefined, ca: string): Promise<string> =>
      new Promise((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, ca, servername }, () => {
          resolve(socket.authorized ? 'authorized' : String(socket.authorizationError));
          socket.end();
        });
        socket.on('error', (err) => resolve(err.message));
      });
    try {
      expect(await handshake(undefined, set.ca.certificatePem)).toBe('authorized');
      expect(await handshake('bec.sandbox.local', set.ca.certificatePem)).toBe('authorized');
      expect(await handshake('other.example', set.ca.certificatePem)).toMatch(/altnames|Host/i);
      const otherCa = generateSandboxCertificates({ keyBits: 1024 }).ca;
      expect(await handshake(undefined, otherCa.certificatePem)).toMatch(/self.signed|unable to verify|local issuer/i);
    } finally {
      await new Promise((resolve) => https.close(resolve));
    }
  });
});
