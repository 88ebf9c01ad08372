import { describe, expect, it } from 'vitest';
import {
  DigestFormatError,
  SignatureFormatError,
  buildSigningString,
  computeDigest,
  parseDigestHeader,
  parseSignatureHeader,
} from '../../../xs2a/signing';

describe('buildSigningString', () => {
  it('defaults to date, lowercases names, trims values and joins repeated headers with ", "', () => {
    const req = {
      method: 'GET',
      path: '/x',
      headers: { Date: '  Tue, 07 Jun 2014 20:51:35 GMT ', 'X-Many': [' a', 'b '], 'x-many': 'c' },
    };
    expect(buildSigningString([], req)).toBe('date: Tue, 07 Jun 2014 20:51:35 GMT');
    expect(buildSigningString(['X-Many', '(request-target)'], req)).toBe('x-many: a, b, c\n(request-target): get /x');
  });

  it('refuses to sign a header the request does not carry', () => {
    expect(() => buildSigningString(['digest'], { method: 'GET', path: '/', headers: {} })).toThrow(
      /"digest" is signed but not present/,
    );
  });
});

describe('parseSignatureHeader', () => {
  it('tolerates spaces, an auth-scheme prefix, unquoted values and commas inside keyId', () => {
    const parsed = parseSignatureHeader(
      'Signature keyId = "SN=1A,CA=CN=Sandbox CA,O=Example,C=DK" , algorithm=rsa-sha256,  headers="Digest  X-Request-ID", signature="YWJj"',
    );
    expect(parsed).toEqual({
      keyId: 'SN=1A,CA=CN=Sandbox CA,O=Example,C=DK',
      algorithm: 'rsa-sha256',
      headers: ['digest', 'x-request-id'],
      headersSpecified: true,
      signature: 'YWJj',
    });
  });

  it('rejects missing keyId or signature, duplicates and garbage with a clear message', () => {
    expect(() => parseSignatureHeader('algorithm="rsa-sha256",signature="YWJj"')).toThrow(
      'Signature header has no keyId parameter',
    );
    expect(() => parseSignatureHeader('keyId="a",headers="digest"')).toThrow(
      'Signature header has no signature parameter',
    );
    expect(() => parseSignatureHeader('keyId="a",keyId="b",signature="YWJj"')).toThrow(/appears twice/);
    expect(() => parseSignatureHeader('keyId="a,signature="YWJj')).toThrow(SignatureFormatError);
    expect(() => parseSignatureHeader('')).toThrow(SignatureFormatError);
    expect(() => parseSignatureHeader('just some text')).toThrow(SignatureFormatError);
  });
});

describe('Digest', () => {
  it('hashes the exact bytes; an absent or empty body hashes as empty', () => {
    const empty = 'SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
    expect(computeDigest(undefined, 'SHA-256')).toBe(empty);
    expect(computeDigest('', 'SHA-256')).toBe(empty);
    expect(computeDigest(new Uint8Array(), 'SHA-256')).toBe(empty);
    expect(computeDigest('', 'SHA-512')).toBe(
      'SHA-512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==',
    );
    // Same text, different bytes: the digest must follow the bytes, not a re-encoding.
    const crlf = Buffer.from('{"a":1}\r\n');
    expect(computeDigest(crlf, 'SHA-256')).not.toBe(computeDigest('{"a":1}\n', 'SHA-256'));
    const sub = Buffer.from('xx{"a":1}\r\nyy').subarray(2, 11);
    expect(computeDigest(sub, 'SHA-256')).toBe(computeDigest(crlf, 'SHA-256'));
  });

  it('parses RFC 3230 lists and rejects malformed values', () => {
    const d256 = computeDigest('x', 'SHA-256').slice('SHA-256='.length);
    expect(parseDigestHeader(`sha-256=${d256}, MD5=YWJj`)).toEqual([
      { algorithm: 'sha-256', value: d256, supported: 'SHA-256' },
      { algorithm: 'MD5', value: 'YWJj' },
    ]);
    expect(() => parseDigestHeader('SHA-256')).toThrow(DigestFormatError);
    expect(() => parseDigestHeader('SHA-256=not base64!')).toThrow(/not base64/);
    expect(() => parseDigestHeader('SHA-256=YWJj')).toThrow(/3 bytes, expected 32/);
  });
});
