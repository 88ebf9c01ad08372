import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildSigningString,
  computeDigest,
  formatSignatureHeader,
  parseSignatureHeader,
  signString,
  verifyString,
  type SignatureAlgorithm,
} from '../../../xs2a/signing';

interface Vector {
  description: string;
  algorithm: SignatureAlgorithm;
  keyId: string;
  headers: string | null;
  request: string;
  body: string;
  body_digest: string;
  signing_string: string;
  expected_signature: string;
  expected_signature_header: string;
  public_key_pem: string;
  private_key_pem: string;
}

const VECTORS_DIR = join(__dirname, '../../../../shared/vectors');

/** Splits the vector's request into request line, headers and body. */
function parseRequest(text: string): { method: string; path: string; headers: Record<string, string>; body: string } {
  const [head, ...rest] = text.split('\n\n');
  const [requestLine, ...headerLines] = head.split('\n');
  const [method, path] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return { method: method, path: path, headers, body: rest.join('\n\n') };
}

const files = readdirSync(VECTORS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('draft-cavage-http-signatures-10 vectors', () => {
  it('finds the three Appendix C vectors on disk', () => {
    expect(files).toEqual([
      'cavage10-C1-default-test.json',
      'cavage10-C2-basic-test.json',
      'cavage10-C3-all-headers-test.json',
    ]);
  });

  for (const file of files) {
    const vector = JSON.parse(readFileSync(join(VECTORS_DIR, file), 'utf8')) as Vector;
    describe(file, () => {
      const request = parseRequest(vector.request);
      const headerNames = vector.headers === null ? [] : vector.headers.split(' ');

      it('builds the expected signing string', () => {
        expect(buildSigningString(headerNames, request)).toBe(vector.signing_string);
      });

      it('signs to exactly the expected signature and header', () => {
        const signature = signString(vector.signing_string, vector.private_key_pem, vector.algorithm);
        expect(signature).toBe(vector.expected_signature);
        const header = formatSignatureHeader({
          keyId: vector.keyId,
          algorithm: vector.algorithm,
          headers: vector.headers === null ? undefined : headerNames,
          signature,
        });
        expect(header).toBe(vector.expected_signature_header);
      });

      it('verifies from the parsed Signature header', () => {
        const parsed = parseSignatureHeader(vector.expected_signature_header);
        expect(parsed.keyId).toBe(vector.keyId);
        expect(parsed.algorithm).toBe(vector.algorithm);
        expect(parsed.headers).toEqual(vector.headers === null ? ['date'] : headerNames);
        expect(parsed.headersSpecified).toBe(vector.headers !== null);
        const signingString = buildSigningString(parsed.headers, request);
        expect(verifyString(signingString, parsed.signature, vector.public_key_pem, vector.algorithm)).toBe(true);
        expect(verifyString(`${signingString} `, parsed.signature, vector.public_key_pem, vector.algorithm)).toBe(
          false,
        );
      });

      it('matches the body digest', () => {
        expect(computeDigest(request.body, 'SHA-256')).toBe(vector.body_digest);
        expect(request.body).toBe(vector.body);
      });
    });
  }
});
