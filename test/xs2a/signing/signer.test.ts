import { beforeAll, describe, expect, it } from 'vitest';
import {
  CertificateError,
  generateSandboxCertificates,
  inspectCertificate,
  type SandboxCertificateSet,
} from '../../../xs2a/certs';
import {
  BEC_SIGNATURE_STYLE,
  ENFUCE_SIGNATURE_STYLE,
  Xs2aSigner,
  buildSigningString,
  parseSignatureHeader,
  verifyString,
  verifyXs2aRequest,
  type SignatureStyle,
} from '../../../xs2a/signing';

let set: SandboxCertificateSet;
let serial: string;

beforeAll(() => {
  set = generateSandboxCertificates({ roles: ['PSP_AI'] });
  serial = inspectCertificate(set.qseal.certificatePem).serialNumber;
});

const OPTIONAL = {
  'PSU-ID': 'psu-1',
  'PSU-Corporate-ID': 'corp-1',
  'TPP-Redirect-URI': 'https://tpp.example/cb',
} as const;
type OptionalName = keyof typeof OPTIONAL;
const OPTIONAL_NAMES = Object.keys(OPTIONAL) as OptionalName[];

/** Every subset of the three optional headers. */
const SUBSETS: OptionalName[][] = Array.from({ length: 8 }, (_, mask) =>
  OPTIONAL_NAMES.filter((_n, i) => mask & (1 << i)),
);

describe('Xs2aSigner', () => {
  for (const [styleName, style] of [
    ['BEC', BEC_SIGNATURE_STYLE],
    ['Enfuce', ENFUCE_SIGNATURE_STYLE],
  ] as const) {
    for (const subset of SUBSETS) {
      it(`${styleName}: signs exactly digest, x-request-id${subset.map((s) => `, ${s.toLowerCase()}`).join('')}`, () => {
        const signer = new Xs2aSigner(set.qseal, style);
        const headers: Record<string, string> = {
          'X-Request-ID': '99391c7e-ad88-49ec-a2ad-99ddcb1f7721',
          'Content-Type': 'application/json',
          Date: 'x',
        };
        for (const name of subset) headers[name] = OPTIONAL[name];
        const body = '{"access":{}}';
        const out = signer.sign(headers, body);
        const parsed = parseSignatureHeader(out.Signature);
        const expected = style.headerOrder.filter(
          (h) => h === 'digest' || h === 'x-request-id' || subset.some((s) => s.toLowerCase() === h),
        );
        expect(parsed.headers).toEqual(expected);
        expect(parsed.algorithm).toBe('rsa-sha256');
        const signingString = buildSigningString(parsed.headers, {
          method: '',
          path: '',
          headers: { ...headers, Digest: out.Digest },
        });
        expect(signingString.split('\n')[expected.indexOf('digest')]).toBe(`digest: ${out.Digest}`);
        expect(verifyString(signingString, parsed.signature, set.qseal.certificatePem, 'rsa-sha256')).toBe(true);
        expect(verifyXs2aRequest({ headers: { ...headers, ...out }, body, strict: true })).toMatchObject({
          ok: true,
          errors: [],
          warnings: [],
        });
      });
    }
  }

  it('puts digest first for BEC and x-request-id first for Enfuce', () => {
    const headers = { 'x-request-id': 'r', 'psu-id': 'p' };
    expect(
      parseSignatureHeader(new Xs2aSigner(set.qseal, BEC_SIGNATURE_STYLE).sign(headers, '').Signature).headers,
    ).toEqual(['digest', 'x-request-id', 'psu-id']);
    expect(
      parseSignatureHeader(new Xs2aSigner(set.qseal, ENFUCE_SIGNATURE_STYLE).sign(headers, '').Signature).headers,
    ).toEqual(['x-request-id', 'digest', 'psu-id']);
  });

  it('finds optional headers case-insensitively', () => {
    const out = new Xs2aSigner(set.qseal, BEC_SIGNATURE_STYLE).sign(
      { 'X-REQUEST-ID': 'r', 'tpp-REDIRECT-uri': 'https://x' },
      undefined,
    );
    expect(parseSignatureHeader(out.Signature).headers).toEqual(['digest', 'x-request-id', 'tpp-redirect-uri']);
  });

  it('writes keyId per style', () => {
    const bec = new Xs2aSigner(set.qseal, BEC_SIGNATURE_STYLE);
    const enfuce = new Xs2aSigner(set.qseal, ENFUCE_SIGNATURE_STYLE);
    expect(bec.keyId).toBe(`SN=${serial.toLowerCase()},CA=CN=Sandbox CA,O=Sandbox QTSP,C=DK`);
    // Enfuce documents CA=<the URL-encoded DN of the QSEALC issuer>.
    expect(enfuce.keyId).toBe(
      `SN=${serial.toUpperCase()},CA=${encodeURIComponent('C=DK, O=Sandbox QTSP, CN=Sandbox CA')}`,
    );
    expect(enfuce.keyId).toContain('CA=C%3DDK%2C%20O%3DSandbox%20QTSP%2C%20CN%3DSandbox%20CA');
    expect(serial).toMatch(/[a-f]/); // otherwise the case assertions above prove nothing
    expect(parseSignatureHeader(bec.sign({ 'x-request-id': 'r' }, '').Signature).keyId).toBe(bec.keyId);
    expect(bec.certificateHeader).toBe(set.qseal.certificatePem.replace(/-----[A-Z ]+-----|\s/g, ''));
  });

  it('digests an empty body as SHA-256 of ""', () => {
    const out = new Xs2aSigner(set.qseal, BEC_SIGNATURE_STYLE).sign({ 'X-Request-ID': 'r' }, undefined);
    expect(out.Digest).toBe('SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
  });

  it('supports SHA-512 and rsa-sha512', () => {
    const style: SignatureStyle = {
      ...BEC_SIGNATURE_STYLE,
      digestAlgorithm: 'SHA-512',
      signatureAlgorithm: 'rsa-sha512',
    };
    const headers = { 'X-Request-ID': 'r' };
    const out = new Xs2aSigner(set.qseal, style).sign(headers, 'body');
    expect(out.Digest).toMatch(/^SHA-512=[A-Za-z0-9+/]{86}==$/);
    expect(parseSignatureHeader(out.Signature).algorithm).toBe('rsa-sha512');
    expect(verifyXs2aRequest({ headers: { ...headers, ...out }, body: 'body' }).ok).toBe(true);
  });

  it('replaces a Digest the caller set with the one it computes', () => {
    const headers = { 'X-Request-ID': 'r', Digest: 'SHA-256=stale' };
    const out = new Xs2aSigner(set.qseal, BEC_SIGNATURE_STYLE).sign(headers, 'new body');
    expect(verifyXs2aRequest({ headers: { 'X-Request-ID': 'r', ...out }, body: 'new body' }).ok).toBe(true);
  });

  it('requires X-Request-ID', () => {
    expect(() => new Xs2aSigner(set.qseal, BEC_SIGNATURE_STYLE).sign({ 'PSU-ID': 'p' }, '')).toThrow(/X-Request-ID/);
  });

  it('refuses a key that does not match the certificate', () => {
    expect(
      () =>
        new Xs2aSigner(
          { certificatePem: set.qseal.certificatePem, privateKeyPem: set.qwac.privateKeyPem },
          BEC_SIGNATURE_STYLE,
        ),
    ).toThrow(CertificateError);
    expect(
      () =>
        new Xs2aSigner(
          { certificatePem: set.qseal.certificatePem, privateKeyPem: set.qwac.privateKeyPem },
          BEC_SIGNATURE_STYLE,
        ),
    ).toThrow(/does not match/);
  });
});
