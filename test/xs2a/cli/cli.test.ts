import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSandboxCertificates, inspectCertificate, writeCertificateSet } from '../../../xs2a/certs';
import { formatCapturedRequest, parseCapturedRequest } from '../../../xs2a/cli/captured-request';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCli } from '../../../xs2a/cli/commands';
import { ENFUCE_SIGNATURE_STYLE, Xs2aSigner, parseSignatureHeader } from '../../../xs2a/signing';

const ROOT = join(__dirname, '../../..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xs2a-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cli(...argv: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** The real process, as a developer runs it. */
function processCli(...argv: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync('npx', ['tsx', 'xs2a/cli/main.ts', ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function headerLines(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
  );
}

describe('xs2a CLI in-process', () => {
  it('generate → inspect → sign → captured request → verify; tamper → digest; strict keyId → fails', () => {
    const out = join(dir, 'inproc');
    const gen = cli(
      'certs',
      'generate',
      '--out',
      out,
      '--roles',
      'PSP_AI,PSP_PI',
      '--nca-id',
      'SE-FINA',
      '--nca-name',
      'Finansinspektionen',
      '--org',
      'Acme AB',
    );
    expect(gen.code).toBe(EXIT_OK);
    const generated = JSON.parse(gen.stdout);
    expect(generated.files.qseal).toEqual({ certificate: join(out, 'qseal.pem'), privateKey: join(out, 'qseal.key') });
    expect(generated.certificates.qseal.psd2).toEqual({
      roles: ['PSP_AI', 'PSP_PI'],
      ncaName: 'Finansinspektionen',
      ncaId: 'SE-FINA',
    });
    expect(generated.certificates.qwac.subject).toMatch(
      /^CN=Acme AB QWAC,organizationIdentifier=PSDSE-FINA-\d{8},O=Acme AB,C=SE$/,
    );

    const inspect = cli('certs', 'inspect', join(out, 'qseal.pem'));
    expect(inspect.code).toBe(EXIT_OK);
    expect(inspect.stderr).toBe('');
    const info = JSON.parse(inspect.stdout);
    expect(Object.keys(info)).toEqual(['serialNumber', 'issuer', 'subject', 'notBefore', 'notAfter', 'psd2']);
    expect(info).toEqual(generated.certificates.qseal);

    const bodyFile = join(dir, 'body.json');
    writeFileSync(bodyFile, '{"access":{"accounts":[]},"validUntil":"2027-01-01"}\r\n');
    const request = join(dir, 'request.txt');
    const sign = cli(
      'sign',
      '--cert',
      join(out, 'qseal.pem'),
      '--key',
      join(out, 'qseal.key'),
      '--header',
      'PSU-ID: alice',
      '--header',
      'Content-Type: application/json',
      '--body-file',
      bodyFile,
      '--style',
      'enfuce',
      '--out',
      request,
    );
    expect(sign.code).toBe(EXIT_OK);
    const lines = headerLines(sign.stdout);
    expect(Object.keys(lines)).toEqual(['X-Request-ID', 'Digest', 'Signature', 'TPP-Signature-Certificate']);
    expect(lines['X-Request-ID']).toMatch(/^[0-9a-f-]{36}$/);
    const signature = parseSignatureHeader(lines.Signature);
    expect(signature.headers).toEqual(['x-request-id', 'digest', 'psu-id']);
    expect(signature.keyId).toBe(
      `SN=${info.serialNumber.toUpperCase()},CA=${encodeURIComponent('C=DK, O=Sandbox QTSP, CN=Sandbox CA')}`,
    );

    const captured = parseCapturedRequest(readFileSync(request));
    expect(captured.method).toBe('POST');
    expect(captured.path).toBe('/v1/consents');
    expect(captured.body.equals(readFileSync(bodyFile))).toBe(true);

    const verify = cli('verify', '--request', request);
    expect(verify.code).toBe(EXIT_OK);
    expect(JSON.parse(verify.stdout)).toMatchObject({
      ok: true,
      errors: [],
      warnings: [],
      signedHeaders: ['x-request-id', 'digest', 'psu-id'],
      keyIdCaEncoding: 'url',
    });

    // One body byte changed.
    const bytes = readFileSync(request);
    const tampered = join(dir, 'tampered.txt');
    const copy = Buffer.from(bytes);
    copy[copy.length - 5] = copy[copy.length - 5] ^ 0x01;
    writeFileSync(tampered, copy);
    const bad = cli('verify', '--request', tampered);
    expect(bad.code).toBe(EXIT_FAILURE);
    expect(bad.stderr).toMatch(/^error: DIGEST_MISMATCH: Digest mismatch: header says SHA-256=/m);
    expect(bad.stderr.toLowerCase()).toContain('digest');

    // keyId naming another serial: signature still valid (keyId is not signed), a warning unless --strict.
    const otherSerial = join(dir, 'other-serial.txt');
    writeFileSync(otherSerial, bytes.toString('latin1').replace(/SN=[0-9A-F]+/, 'SN=0123ABCD'), 'latin1');
    const lenient = cli('verify', '--request', otherSerial);
    expect(lenient.code).toBe(EXIT_OK);
    expect(lenient.stderr).toMatch(/^warning: KEYID_MISMATCH: keyId names serial 0123ABCD/m);
    const strict = cli('verify', '--request', otherSerial, '--strict');
    expect(strict.code).toBe(EXIT_FAILURE);
    expect(strict.stderr).toMatch(/^error: KEYID_MISMATCH/m);

    // --cert overrides the header: the QWAC did not sign this.
    const wrongCert = cli('verify', '--request', request, '--cert', join(out, 'qwac.pem'));
    expect(wrongCert.code).toBe(EXIT_FAILURE);
    expect(wrongCert.stderr).toMatch(/SIGNATURE_INVALID/);
  });

  it('sign keeps a given X-Request-ID, honours --digest/--algorithm and signs --body', () => {
    const out = join(dir, 'opts');
    writeCertificateSet(generateSandboxCertificates({ keyBits: 1024 }), out);
    const result = cli(
      'sign',
      '--cert',
      join(out, 'qseal.pem'),
      '--key',
      join(out, 'qseal.key'),
      '--header',
      'x-request-id: fixed-id',
      '--header',
      'TPP-Redirect-URI: https://tpp/cb',
      '--body',
      '',
      '--digest',
      'SHA-512',
      '--algorithm',
      'rsa-sha512',
    );
    expect(result.code).toBe(EXIT_OK);
    const lines = headerLines(result.stdout);
    expect(Object.keys(lines)).toEqual(['Digest', 'Signature', 'TPP-Signature-Certificate']);
    expect(lines.Digest).toMatch(/^SHA-512=z4PhNX7vuL3x/);
    expect(parseSignatureHeader(lines.Signature)).toMatchObject({
      algorithm: 'rsa-sha512',
      headers: ['digest', 'x-request-id', 'tpp-redirect-uri'],
    });
  });

  it('verify reads CRLF headers and keeps the body bytes exactly', () => {
    const set = generateSandboxCertificates({ keyBits: 1024 });
    const out = join(dir, 'crlf');
    writeCertificateSet(set, out);
    const body = 'line1\r\nline2\n\n';
    const sign = cli(
      'sign',
      '--cert',
      join(out, 'qseal.pem'),
      '--key',
      join(out, 'qseal.key'),
      '--header',
      'X-Request-ID: r1',
      '--body',
      body,
    );
    const h = headerLines(sign.stdout);
    const file = join(dir, 'crlf.txt');
    writeFileSync(
      file,
      `GET /v1/accounts HTTP/1.1\r\nX-Request-ID: r1\r\nDigest: ${h.Digest}\r\nSignature: ${h.Signature}\r\nTPP-Signature-Certificate: ${h['TPP-Signature-Certificate']}\r\n\r\n${body}`,
    );
    expect(cli('verify', '--request', file).code).toBe(EXIT_OK);
    expect(cli('verify', '--request', file, '--cert', join(out, 'qseal.pem')).code).toBe(EXIT_OK);
  });

  it('usage errors exit 2, other failures exit 1, never with a stack trace', () => {
    for (const argv of [
      [],
      ['nope'],
      ['certs'],
      ['certs', 'generate'],
      ['sign', '--cert', 'x'],
      ['verify'],
      ['verify', '--request'],
      ['sign', '--bogus'],
      ['certs', 'generate', '--out', dir, '--roles', 'PSP_XX'],
    ]) {
      const r = cli(...argv);
      expect(r.code, argv.join(' ')).toBe(EXIT_USAGE);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).toContain('usage:');
      expect(r.stdout).toBe('');
    }
    const missing = cli('certs', 'inspect', join(dir, 'missing.pem'));
    expect(missing).toEqual({
      code: EXIT_FAILURE,
      stdout: '',
      stderr: `error: ${join(dir, 'missing.pem')}: cannot read file (ENOENT)\n`,
    });
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'nothing');
    expect(cli('certs', 'inspect', notPem).stderr).toBe(
      `error: ${notPem}: not a PEM certificate (no "-----BEGIN CERTIFICATE-----" block)\n`,
    );
    const notRequest = join(dir, 'not-request.txt');
    writeFileSync(notRequest, 'this is not a header\n\nbody');
    expect(cli('verify', '--request', notRequest)).toMatchObject({
      code: EXIT_FAILURE,
      stderr: expect.stringMatching(/line 1 is not "Name: value"/),
    });
  });

  it('verify --at checks an old capture as of its time; without it an expired certificate is one problem among all the others', () => {
    // Captured in January 2024, signed with a QSEAL valid for that month only (the CLI refuses to sign with it now).
    const old = generateSandboxCertificates({
      keyBits: 1024,
      notBefore: new Date('2024-01-01T00:00:00Z'),
      validDays: 30,
    });
    const headers = { 'X-Request-ID': '0e6b1c1e-4d0f-4f5a-9d9e-2b7a1f3c5d7e', 'Content-Type': 'application/json' };
    const body = Buffer.from('{"a":1}');
    const request = join(dir, 'old-capture.txt');
    writeFileSync(
      request,
      formatCapturedRequest({
        method: 'POST',
        path: '/v1/consents',
        headers: { ...headers, ...new Xs2aSigner(old.qseal, ENFUCE_SIGNATURE_STYLE).sign(headers, body) },
        body,
      }),
    );

    const asOfCapture = cli('verify', '--request', request, '--at', '2024-01-15T12:00:00Z', '--strict');
    expect(asOfCapture.code).toBe(EXIT_OK);
    expect(JSON.parse(asOfCapture.stdout)).toMatchObject({ ok: true, at: '2024-01-15T12:00:00.000Z', errors: [] });
    expect(cli('verify', '--request', request, '--at', '2024-01-15').code).toBe(EXIT_OK);
    const certFile = join(dir, 'old-capture-qseal.pem');
    writeFileSync(certFile, old.qseal.certificatePem);
    expect(cli('verify', '--request', request, '--cert', certFile, '--at', '2024-01-15T12:00:00Z').code).toBe(EXIT_OK);

    const today = cli('verify', '--request', request);
    expect(today.code).toBe(EXIT_FAILURE);
    expect(JSON.parse(today.stdout).errors.map((e: { code: string }) => e.code)).toEqual(['CERTIFICATE_INVALID']);
    expect(today.stderr).toMatch(/^error: CERTIFICATE_INVALID: .*expired on 2024-01-31/m);

    // A changed body and X-Request-ID: every problem is reported, at any time.
    const tampered = join(dir, 'old-capture-tampered.txt');
    writeFileSync(
      tampered,
      readFileSync(request, 'latin1')
        .replace(/X-Request-ID: [0-9a-f-]+/, 'X-Request-ID: changed')
        .replace('"a":1', '"a":2'),
      'latin1',
    );
    const codesAt = (...extra: string[]) =>
      JSON.parse(cli('verify', '--request', tampered, ...extra).stdout).errors.map((e: { code: string }) => e.code);
    expect(codesAt()).toEqual(['DIGEST_MISMATCH', 'CERTIFICATE_INVALID', 'SIGNATURE_INVALID']);
    expect(codesAt('--at', '2023-12-31T23:59:59Z')).toEqual([
      'DIGEST_MISMATCH',
      'CERTIFICATE_INVALID',
      'SIGNATURE_INVALID',
    ]);
    expect(codesAt('--at', '2024-01-10T00:00:00+01:00')).toEqual(['DIGEST_MISMATCH', 'SIGNATURE_INVALID']);

    for (const bad of ['yesterday', '2024-13-01', '2024-01-15T12:00', '']) {
      const r = cli('verify', '--request', request, '--at', bad);
      expect(r.code, bad).toBe(EXIT_USAGE);
      expect(r.stderr).toMatch(/^error: --at must be an ISO 8601 time/);
    }
  });

  it('inspect warns on stderr about an expired certificate', () => {
    const old = generateSandboxCertificates({
      keyBits: 1024,
      notBefore: new Date('2024-12-01T00:00:00Z'),
      validDays: 31,
    });
    const file = join(dir, 'old-qseal.pem');
    writeFileSync(file, old.qseal.certificatePem);
    const r = cli('certs', 'inspect', file);
    expect(r.code).toBe(EXIT_OK);
    expect(r.stderr).toBe(`warning: ${file} expired on 2025-01-01\n`);
    expect(JSON.parse(r.stdout).serialNumber).toBe(inspectCertificate(old.qseal.certificatePem).serialNumber);
  });
});

describe('xs2a CLI as a real process (npx tsx xs2a/cli/main.ts)', () => {
  it('runs every command end to end with the documented exit codes', () => {
    const out = join(dir, 'proc');
    const gen = processCli('certs', 'generate', '--out', out, '--roles', 'PSP_AI');
    expect(gen.code, gen.stderr).toBe(0);
    expect(JSON.parse(gen.stdout).certificates.qseal.psd2.roles).toEqual(['PSP_AI']);

    const inspect = processCli('certs', 'inspect', join(out, 'qwac.pem'));
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout).psd2).toEqual({
      roles: ['PSP_AI'],
      ncaName: 'Danish Financial Supervisory Authority',
      ncaId: 'DK-DFSA',
    });

    const request = join(dir, 'proc-request.txt');
    const sign = processCli(
      'sign',
      '--cert',
      join(out, 'qseal.pem'),
      '--key',
      join(out, 'qseal.key'),
      '--method',
      'post',
      '--path',
      '/v1/payments/sepa-credit-transfers',
      '--body',
      '{"amount":"1.00"}',
      '--out',
      request,
    );
    expect(sign.code, sign.stderr).toBe(0);
    expect(sign.stdout).toMatch(
      /^X-Request-ID: .+\nDigest: SHA-256=.+\nSignature: keyId=".+\nTPP-Signature-Certificate: [A-Za-z0-9+/=]+\n$/,
    );
    expect(readFileSync(request, 'utf8')).toMatch(/^POST \/v1\/payments\/sepa-credit-transfers HTTP\/1\.1\n/);

    const ok = processCli('verify', '--request', request);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).ok).toBe(true);

    writeFileSync(request, readFileSync(request, 'utf8').replace('"1.00"', '"9.00"'));
    const tampered = processCli('verify', '--request', request);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/DIGEST_MISMATCH/);
    expect(tampered.stderr).not.toMatch(/\n\s+at /); // no stack trace

    const usage = processCli('verify');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--request FILE is required/);
  });
});
