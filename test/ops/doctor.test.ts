import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor, formatChecks, type Check } from '../../ops/doctor';
import { startSandboxBanks, type SandboxBanks } from '../../sandbox';
import { generateKeySpec } from '../../secrets/token-cipher';
import { generateSandboxCertificates } from '../../xs2a/certs';
import { testLogger } from '../helpers/logger';

const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
const tpp = generateSandboxCertificates({ organizationIdentifier: 'PSDDK-DFSA-DOCTOR01', organizationName: 'Doc' });
let sandbox: SandboxBanks;

beforeAll(async () => {
  sandbox = await startSandboxBanks({ tppCa: tpp.ca, logger: testLogger() });
});
afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const find = (checks: Check[], name: string) => checks.find((c) => c.name === name);

describe('ops doctor', () => {
  it('one line per check with its fix; fails on a wrong Enfuce clientId, a non-PEM CA, no PUBLIC_BASE_URL, no Temporal', async () => {
    const becOrigin = sandbox.banks.bec.baseUrl.replace(/\/psd2\/\d+$/, '');
    const source = {
      TOKEN_ENCRYPTION_KEYS: generateKeySpec('k1'),
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      BANK_PROFILES_FILE: file(
        'banks.json',
        JSON.stringify([
          { preset: 'bec', bankId: '6140', environment: 'sandbox', baseUrl: `${becOrigin}/psd2/6140` },
          {
            preset: 'enfuce',
            issuer: 'rocker',
            environment: 'sandbox',
            clientId: 'PSDDK-WRONG',
            baseUrl: sandbox.banks['enfuce-rocker'].baseUrl,
          },
        ]),
      ),
      QWAC_CERT_PATH: file('qwac.pem', tpp.qwac.certificatePem),
      QWAC_KEY_PATH: file('qwac.key', tpp.qwac.privateKeyPem),
      QSEAL_CERT_PATH: file('qseal.pem', tpp.qseal.certificatePem),
      QSEAL_KEY_PATH: file('qseal.key', tpp.qseal.privateKeyPem),
      BANK_CA_PATH: file('ca.txt', 'not a certificate'),
    };
    const checks = await doctor({ source, logger: testLogger(), timeoutMs: 1_500 });
    const text = formatChecks(checks);
    expect(text.split('\n')).toHaveLength(checks.length);
    expect(find(checks, 'environment')?.ok).toBe(true);
    expect(find(checks, 'QWAC certificate')).toMatchObject({ ok: true });
    expect(text).toMatch(/FAIL PUBLIC_BASE_URL: unset.* — fix: set PUBLIC_BASE_URL/);
    expect(text).toMatch(/FAIL bank CA: BANK_CA_PATH .*ca\.txt: holds no PEM certificate/);
    expect(text).toMatch(
      /FAIL enfuce-rocker clientId: clientId PSDDK-WRONG differs from the QWAC's organizationIdentifier PSDDK-DFSA-DOCTOR01 — fix: set clientId: PSDDK-DFSA-DOCTOR01/,
    );
    expect(text).toMatch(/FAIL Temporal: 127\.0\.0\.1:1: /);

    // The CA fixed: each bank is probed over mTLS, and BEC's enrolment is reported per member bank.
    const fixed = await doctor({
      source: { ...source, BANK_CA_PATH: file('ca.pem', sandbox.serverCaPem), PUBLIC_BASE_URL: 'https://x.example' },
      logger: testLogger(),
      timeoutMs: 1_500,
    });
    const fixedText = formatChecks(fixed);
    expect(fixedText).toMatch(/ok {3}bec-6140 reachable: /);
    expect(fixedText).toMatch(
      /FAIL bec-6140 enrolment: the QSEAL is not enrolled — fix: run `npm run -s ops -- enrol`/,
    );
    expect(fixedText).toMatch(/ok {3}enfuce-rocker reachable: /);
    expect(fixedText).toMatch(/ok {3}PUBLIC_BASE_URL: https:\/\/x\.example\/callback/);
  }, 30_000);
});
