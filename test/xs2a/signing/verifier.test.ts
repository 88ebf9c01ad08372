import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateDerBase64,
  generateSandboxCertificates,
  inspectCertificate,
  type SandboxCertificateSet,
} from '../../../xs2a/certs';
import {
  BEC_SIGNATURE_STYLE,
  ENFUCE_SIGNATURE_STYLE,
  Xs2aSigner,
  buildSigningString,
  computeDigest,
  formatSignatureHeader,
  signString,
  verifyXs2aRequest,
  type VerificationCode,
  type VerificationResult,
} from '../../../xs2a/signing';

let set: SandboxCertificateSet;
let other: SandboxCertificateSet;
let serial: string;
const BODY = '{"access":{"balances":[]},"recurringIndicator":true}';

beforeAll(() => {
  set = generateSandboxCertificates({ roles: ['PSP_AI'] });
  other = generateSandboxCertificates({ keyBits: 1024 });
  serial = inspectCertificate(set.qseal.certificatePem).serialNumber;
});

function keyIdFor(serialHex = serial, ca = 'CN=Sandbox CA,O=Sandbox QTSP,C=DK'): string {
  return `SN=${serialHex},CA=${ca}`;
}

/** A correctly signed request (BEC style) with PSU-ID. */
function validRequest(): Record<string, string> {
  const headers: Record<string, string> = {
    'X-Request-ID': '2f6e7f52-1a40-4d38-9a43-8f0cb6a29c0b',
    'PSU-ID': 'psu-1',
    'Content-Type': 'application/json',
  };
  return { ...headers, ...new Xs2aSigner(set.qseal, BEC_SIGNATURE_STYLE).sign(headers, BODY) };
}

interface ManualOptions {
  signed: string[];
  keyId?: string;
  algorithm?: string;
  privateKeyPem?: string;
}

/** Signs whatever headers are given, however wrong, so a test can isolate exactly one problem. */
function manuallySigned(headers: Record<string, string>, opts: ManualOptions): Record<string, string> {
  const signingString = buildSigningString(opts.signed, { method: '', path: '', headers });
  const signature = signString(signingString, opts.privateKeyPem ?? set.qseal.privateKeyPem, 'rsa-sha256');
  return {
    ...headers,
    Signature: formatSignatureHeader({
      keyId: opts.keyId ?? keyIdFor(),
      algorithm: opts.algorithm ?? 'rsa-sha256',
      headers: opts.signed,
      signature,
    }),
    'TPP-Signature-Certificate': certificateDerBase64(set.qseal.certificatePem),
  };
}

function base(extra: Record<string, string> = {}): Record<string, string> {
  return { 'X-Request-ID': 'r-1', Digest: computeDigest(BODY, 'SHA-256'), ...extra };
}

function codes(result: VerificationResult): VerificationCode[] {
  return result.errors.map((e) => e.code);
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== name.toLowerCase()));
}

describe('verifyXs2aRequest', () => {
  it('accepts a correctly signed request and reports what it checked', () => {
    const result = verifyXs2aRequest({ headers: validRequest(), body: Buffer.from(BODY), strict: true });
    expect(result).toMatchObject({
      ok: true,
      errors: [],
      warnings: [],
      signedHeaders: ['digest', 'x-request-id', 'psu-id'],
      keyId: new Xs2aSigner(set.qseal, BEC_SIGNATURE_STYLE).keyId,
    });
    expect(result.certificatePem).toContain('BEGIN CERTIFICATE');
  });

  it('accepts a keyId CA in the other format and in any attribute order, and serials ignoring case and leading zeros', () => {
    for (const keyId of [
      new Xs2aSigner(set.qseal, ENFUCE_SIGNATURE_STYLE).keyId,
      keyIdFor(`000${serial.toUpperCase()}`, 'O=Sandbox QTSP, CN=Sandbox CA, C=DK'),
    ]) {
      const headers = manuallySigned(base(), { signed: ['digest', 'x-request-id'], keyId });
      expect(verifyXs2aRequest({ headers, body: BODY, strict: true })).toMatchObject({
        ok: true,
        errors: [],
        warnings: [],
      });
    }
  });

  it('accepts the keyId CA URL-encoded (Enfuce) or raw (BEC) and says which it saw', () => {
    const enfuce = new Xs2aSigner(set.qseal, ENFUCE_SIGNATURE_STYLE);
    const headers = { 'X-Request-ID': 'r-2' };
    const encoded = verifyXs2aRequest({
      headers: { ...headers, ...enfuce.sign(headers, BODY) },
      body: BODY,
      strict: true,
    });
    expect(enfuce.keyId).toContain('CA=C%3DDK%2C%20O%3DSandbox%20QTSP');
    expect(encoded).toMatchObject({ ok: true, errors: [], warnings: [], keyIdCaEncoding: 'url' });
    const raw = verifyXs2aRequest({ headers: validRequest(), body: BODY, strict: true });
    expect(raw).toMatchObject({ ok: true, keyIdCaEncoding: 'raw' });
    // Encoded or not, a CA naming another issuer is still a mismatch.
    const otherCa = manuallySigned(base(), {
      signed: ['digest', 'x-request-id'],
      keyId: keyIdFor(serial, encodeURIComponent('C=DK, O=Other QTSP, CN=Other CA')),
    });
    const mismatch = verifyXs2aRequest({ headers: otherCa, body: BODY, strict: true });
    expect(codes(mismatch)).toEqual(['KEYID_MISMATCH']);
    expect(mismatch.keyIdCaEncoding).toBe('url');
  });

  it('accepts rsa-sha512 with a SHA-512 digest, and lowercase header names as node delivers them', () => {
    const style = {
      ...ENFUCE_SIGNATURE_STYLE,
      digestAlgorithm: 'SHA-512' as const,
      signatureAlgorithm: 'rsa-sha512' as const,
    };
    const headers = { 'x-request-id': 'r', 'tpp-redirect-uri': 'https://tpp/cb' };
    const signed = new Xs2aSigner(set.qseal, style).sign(headers, BODY);
    const lower = Object.fromEntries(Object.entries({ ...headers, ...signed }).map(([k, v]) => [k.toLowerCase(), v]));
    expect(verifyXs2aRequest({ headers: lower, body: new TextEncoder().encode(BODY) })).toMatchObject({
      ok: true,
      errors: [],
    });
  });

  it('verifies against a given certificate instead of the header', () => {
    const headers = without(validRequest(), 'TPP-Signature-Certificate');
    expect(verifyXs2aRequest({ headers, body: BODY, certificatePem: set.qseal.certificatePem }).ok).toBe(true);
    expect(
      codes(verifyXs2aRequest({ headers: validRequest(), body: BODY, certificatePem: other.qseal.certificatePem })),
    ).toContain('SIGNATURE_INVALID');
  });

  const cases: Array<
    [
      VerificationCode,
      () => { headers: Record<string, string>; body?: string; strict?: boolean; certificatePem?: string },
      RegExp,
    ]
  > = [
    ['DIGEST_MISSING', () => ({ headers: without(validRequest(), 'Digest'), body: BODY }), /Digest header is missing/],
    [
      'DIGEST_MALFORMED',
      () => ({
        headers: manuallySigned(base({ Digest: 'SHA-256' }), { signed: ['digest', 'x-request-id'] }),
        body: BODY,
      }),
      /malformed/,
    ],
    [
      'DIGEST_ALGORITHM_UNSUPPORTED',
      () => ({
        headers: manuallySigned(base({ Digest: 'MD5=rL0Y20zC+Fzt72VPzMSk2A==' }), {
          signed: ['digest', 'x-request-id'],
        }),
        body: BODY,
      }),
      /MD5 is not supported/,
    ],
    [
      'DIGEST_MISMATCH',
      () => ({ headers: validRequest(), body: `${BODY} ` }),
      /header says SHA-256=\S+, body hashes to SHA-256=\S+/,
    ],
    [
      'SIGNATURE_MISSING',
      () => ({ headers: without(validRequest(), 'Signature'), body: BODY }),
      /Signature header is missing/,
    ],
    [
      'SIGNATURE_MALFORMED',
      () => ({ headers: { ...validRequest(), Signature: 'keyId="x",headers="digest x-request-id"' }, body: BODY }),
      /no signature parameter/,
    ],
    [
      'ALGORITHM_UNSUPPORTED',
      () => ({
        headers: manuallySigned(base(), { signed: ['digest', 'x-request-id'], algorithm: 'hmac-sha256' }),
        body: BODY,
      }),
      /hmac-sha256/,
    ],
    [
      'SIGNED_HEADER_REQUIRED',
      () => ({ headers: manuallySigned(base(), { signed: ['digest'] }), body: BODY }),
      /x-request-id/,
    ],
    [
      'SIGNED_HEADER_NOT_ALLOWED',
      () => ({
        headers: manuallySigned(base({ 'Content-Type': 'application/json' }), {
          signed: ['digest', 'x-request-id', 'content-type'],
        }),
        body: BODY,
      }),
      /content-type/,
    ],
    [
      'SIGNED_HEADER_ABSENT',
      () => ({ headers: without(validRequest(), 'PSU-ID'), body: BODY }),
      /covers "psu-id" but the request has no psu-id/,
    ],
    [
      'HEADER_NOT_SIGNED',
      () => ({
        headers: manuallySigned(base({ 'PSU-Corporate-ID': 'c' }), { signed: ['digest', 'x-request-id'] }),
        body: BODY,
      }),
      /psu-corporate-id/,
    ],
    [
      'CERTIFICATE_MISSING',
      () => ({ headers: without(validRequest(), 'TPP-Signature-Certificate'), body: BODY }),
      /TPP-Signature-Certificate header is missing/,
    ],
    [
      'CERTIFICATE_INVALID',
      () => ({ headers: { ...validRequest(), 'TPP-Signature-Certificate': 'AAAA' }, body: BODY }),
      /not a valid X\.509/,
    ],
    [
      'KEYID_MALFORMED',
      () => ({ headers: manuallySigned(base(), { signed: ['digest', 'x-request-id'], keyId: 'Test' }), body: BODY }),
      /SN=<serial hex>,CA=<issuer DN>/,
    ],
    [
      'KEYID_MISMATCH',
      () => ({
        headers: manuallySigned(base(), { signed: ['digest', 'x-request-id'], keyId: keyIdFor('1234abcd') }),
        body: BODY,
        strict: true,
      }),
      /serial 1234abcd but the certificate's serial is/,
    ],
    [
      'SIGNATURE_INVALID',
      () => {
        const headers = validRequest();
        return {
          headers: {
            ...headers,
            Signature: headers.Signature.replace(
              /signature="(.)/,
              (_m, c: string) => `signature="${c === 'A' ? 'B' : 'A'}`,
            ),
          },
          body: BODY,
        };
      },
      /does not verify/,
    ],
  ];

  for (const [code, build, message] of cases) {
    it(`reports exactly ${code}`, () => {
      const result = verifyXs2aRequest(build());
      expect(codes(result)).toEqual([code]);
      expect(result.errors[0].message).toMatch(message);
      expect(result.ok).toBe(false);
    });
  }

  it('the cases above cover every VerificationCode', () => {
    const all: Record<VerificationCode, true> = {
      DIGEST_MISSING: true,
      DIGEST_MALFORMED: true,
      DIGEST_ALGORITHM_UNSUPPORTED: true,
      DIGEST_MISMATCH: true,
      SIGNATURE_MISSING: true,
      SIGNATURE_MALFORMED: true,
      ALGORITHM_UNSUPPORTED: true,
      SIGNED_HEADER_REQUIRED: true,
      SIGNED_HEADER_NOT_ALLOWED: true,
      SIGNED_HEADER_ABSENT: true,
      HEADER_NOT_SIGNED: true,
      CERTIFICATE_MISSING: true,
      CERTIFICATE_INVALID: true,
      KEYID_MALFORMED: true,
      KEYID_MISMATCH: true,
      SIGNATURE_INVALID: true,
    };
    expect(cases.map(([c]) => c).sort()).toEqual(Object.keys(all).sort());
  });

  it('a keyId naming another certificate is only a warning unless strict', () => {
    const headers = manuallySigned(base(), {
      signed: ['digest', 'x-request-id'],
      keyId: keyIdFor(serial, 'CN=Other CA,O=Sandbox QTSP,C=DK'),
    });
    const lenient = verifyXs2aRequest({ headers, body: BODY });
    expect(lenient.ok).toBe(true);
    expect(lenient.warnings.map((w) => w.code)).toEqual(['KEYID_MISMATCH']);
    expect(lenient.warnings[0].message).toMatch(/CA "CN=Other CA/);
    expect(codes(verifyXs2aRequest({ headers, body: BODY, strict: true }))).toEqual(['KEYID_MISMATCH']);
  });

  it('collects every problem instead of stopping at the first', () => {
    const headers = manuallySigned(base({ 'PSU-ID': 'p', Date: 'd' }), {
      signed: ['x-request-id', 'date'],
      keyId: 'nonsense',
      algorithm: 'rsa-sha1',
    });
    const result = verifyXs2aRequest({ headers, body: 'tampered' });
    expect(codes(result).sort()).toEqual(
      [
        'ALGORITHM_UNSUPPORTED',
        'DIGEST_MISMATCH',
        'HEADER_NOT_SIGNED',
        'KEYID_MALFORMED',
        'SIGNED_HEADER_NOT_ALLOWED',
        'SIGNED_HEADER_REQUIRED',
      ].sort(),
    );
  });

  it('a Signature without a headers parameter means "date" only, which XS2A rejects', () => {
    const headers = { ...base(), Date: 'Sun, 05 Jan 2014 21:31:40 GMT' };
    const signature = signString(
      buildSigningString([], { method: '', path: '', headers }),
      set.qseal.privateKeyPem,
      'rsa-sha256',
    );
    const request = {
      ...headers,
      Signature: formatSignatureHeader({ keyId: keyIdFor(), algorithm: 'rsa-sha256', signature }),
      'TPP-Signature-Certificate': certificateDerBase64(set.qseal.certificatePem),
    };
    const result = verifyXs2aRequest({ headers: request, body: BODY });
    expect(codes(result)).toEqual(['SIGNED_HEADER_REQUIRED']);
    expect(result.errors[0].message).toMatch(/no headers parameter/);
  });

  it('rejects an expired signing certificate', () => {
    const old = generateSandboxCertificates({
      keyBits: 1024,
      notBefore: new Date('2024-01-01T00:00:00Z'),
      validDays: 30,
    });
    const headers = { 'X-Request-ID': 'r' };
    const signed = { ...headers, ...new Xs2aSigner(old.qseal, BEC_SIGNATURE_STYLE).sign(headers, BODY) };
    const result = verifyXs2aRequest({ headers: signed, body: BODY });
    expect(codes(result)).toEqual(['CERTIFICATE_INVALID']);
    expect(result.errors[0].message).toMatch(/expired on 2024-01-31/);
    expect(verifyXs2aRequest({ headers: signed, body: BODY }, { now: new Date('2024-01-15T00:00:00Z') }).ok).toBe(true);
  });

  it('with an expired (or not yet valid) certificate still checks digest, keyId and signature and reports every problem', () => {
    const old = generateSandboxCertificates({
      keyBits: 1024,
      notBefore: new Date('2024-01-01T00:00:00Z'),
      validDays: 30,
    });
    const headers = { 'X-Request-ID': 'r' };
    const signed = { ...headers, ...new Xs2aSigner(old.qseal, BEC_SIGNATURE_STYLE).sign(headers, BODY) };
    const tampered = {
      ...signed,
      'X-Request-ID': 'r-changed',
      Signature: signed.Signature.replace(/keyId="SN=[0-9a-f]+/, 'keyId="SN=0123abcd'),
    };
    const result = verifyXs2aRequest({ headers: tampered, body: `${BODY} `, strict: true });
    expect(codes(result)).toEqual(['DIGEST_MISMATCH', 'CERTIFICATE_INVALID', 'KEYID_MISMATCH', 'SIGNATURE_INVALID']);
    expect(result.errors[1].message).toMatch(/expired on 2024-01-31/);
    expect(result.certificatePem).toContain('BEGIN CERTIFICATE');

    const early = verifyXs2aRequest(
      { headers: tampered, body: BODY, strict: true },
      { now: new Date('2023-12-01T00:00:00Z') },
    );
    expect(codes(early)).toEqual(['CERTIFICATE_INVALID', 'KEYID_MISMATCH', 'SIGNATURE_INVALID']);
    expect(early.errors[0].message).toMatch(/not valid before 2024-01-01|not yet valid/);
  });

  it('never throws on garbage input', () => {
    const valid = validRequest();
    const certB64 = valid['TPP-Signature-Certificate'];
    const names = [
      'Digest',
      'Signature',
      'TPP-Signature-Certificate',
      'X-Request-ID',
      'PSU-ID',
      'psu-corporate-id',
      'Date',
      'x-\u0000',
    ];
    const garbage = (): string => {
      switch (randomBytes(1)[0] % 6) {
        case 0:
          return randomBytes(randomBytes(1)[0]).toString('latin1');
        case 1:
          return randomBytes(24).toString('base64');
        case 2:
          return certB64.slice(0, randomBytes(2).readUInt16BE() % certB64.length);
        case 3:
          return valid.Signature.slice(0, randomBytes(2).readUInt16BE() % valid.Signature.length);
        case 4:
          return `keyId="${randomBytes(8).toString('latin1')}",headers="${randomBytes(8).toString('hex')} digest",signature="${randomBytes(6).toString('base64')}"`;
        default:
          return 'SHA-256=' + randomBytes(40).toString('base64');
      }
    };
    let failures = 0;
    for (let i = 0; i < 400; i++) {
      const headers: Record<string, unknown> = { ...valid };
      for (let j = 0; j <= i % 4; j++) headers[names[randomBytes(1)[0] % names.length]] = garbage();
      if (i % 7 === 0) headers['Digest'] = [garbage(), garbage()];
      if (i % 11 === 0) headers['X-Odd'] = 42;
      const body = i % 3 === 0 ? randomBytes(i) : i % 3 === 1 ? undefined : BODY;
      const result = verifyXs2aRequest({ headers: headers as Record<string, string>, body, strict: i % 2 === 0 });
      expect(typeof result.ok).toBe('boolean');
      if (!result.ok) failures++;
      expect(result.ok).toBe(result.errors.length === 0);
    }
    expect(failures).toBeGreaterThan(350);
    for (const input of [undefined, null, {}, { headers: null }, { headers: 'x' }, { headers: { Signature: 5 } }]) {
      expect(() => verifyXs2aRequest(input as never)).not.toThrow();
      expect(verifyXs2aRequest(input as never).ok).toBe(false);
    }
    const truncated = { ...valid, 'TPP-Signature-Certificate': certB64.slice(0, 400) };
    expect(codes(verifyXs2aRequest({ headers: truncated, body: BODY }))).toEqual(['CERTIFICATE_INVALID']);
    expect(
      codes(
        verifyXs2aRequest({ headers: { ...valid, 'TPP-Signature-Certificate': 'not base64 at all!' }, body: BODY }),
      ),
    ).toEqual(['CERTIFICATE_INVALID']);
    expect(
      codes(
        verifyXs2aRequest({
          headers: { ...valid, Signature: valid.Signature.replace(/signature="[^"]+"/, 'signature="%%%"') },
          body: BODY,
        }),
      ),
    ).toEqual(['SIGNATURE_MALFORMED']);
  });
});
