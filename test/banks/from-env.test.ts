import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BankConfigError, bankSetupsFromEnv, loadBankProfiles } from '../../banks/from-env';
import { generateSandboxCertificates } from '../../xs2a/certs';

const dir = mkdtempSync(join(tmpdir(), 'bank-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('loadBankProfiles: bank URLs must be https', () => {
  it('accepts https base URLs', () => {
    const file = write('ok.json', [
      { preset: 'bec', bankId: '0400', environment: 'sandbox', baseUrl: 'https://127.0.0.1:8443/psd2/0400' },
      {
        preset: 'enfuce',
        issuer: 'rocker',
        environment: 'sandbox',
        clientId: 'cid',
        baseUrl: 'https://127.0.0.1:8444',
      },
    ]);
    expect(loadBankProfiles(file).map((p) => p.baseUrl)).toEqual([
      'https://127.0.0.1:8443/psd2/0400',
      'https://127.0.0.1:8444',
    ]);
  });

  for (const url of ['http://bank.example/psd2/0400', 'ftp://bank.example/x', 'javascript:alert(1)']) {
    it(`refuses baseUrl ${url}`, () => {
      const bec = write('bec.json', [{ preset: 'bec', bankId: '0400', environment: 'sandbox', baseUrl: url }]);
      const enfuce = write('enfuce.json', {
        banks: [{ preset: 'enfuce', issuer: 'st1', environment: 'sandbox', clientId: 'cid', baseUrl: url }],
      });
      for (const file of [bec, enfuce]) {
        const err = thrown(() => loadBankProfiles(file));
        expect(err).toBeInstanceOf(BankConfigError);
        expect(err.message).toContain('banks.0.baseUrl');
      }
    });
  }
});

describe('bankSetupsFromEnv', () => {
  const certs = generateSandboxCertificates();
  const env = (caPath: string) => ({
    BANK_PROFILES_FILE: write('banks.json', [
      { preset: 'bec', bankId: '0400', environment: 'sandbox', baseUrl: 'https://127.0.0.1:8443/psd2/0400' },
    ]),
    QWAC_CERT_PATH: write('qwac.pem', certs.qwac.certificatePem),
    QWAC_KEY_PATH: write('qwac.key', certs.qwac.privateKeyPem),
    QSEAL_CERT_PATH: write('qseal.pem', certs.qseal.certificatePem),
    QSEAL_KEY_PATH: write('qseal.key', certs.qseal.privateKeyPem),
    BANK_CA_PATH: caPath,
  });

  it('reads the bank CA bundle', () => {
    const [setup] = bankSetupsFromEnv(env(write('ca.pem', certs.ca.certificatePem)));
    expect(setup.credentials.bankCaPem).toBe(certs.ca.certificatePem);
    // Each BEC member bank is its own ASPSP: bec-<bankId> unless the entry names its id.
    expect(setup.profile.id).toBe('bec-0400');
  });

  it('a BANK_CA_PATH that cannot be read is a BankConfigError naming the variable and the path', () => {
    const missing = join(dir, 'no-such-ca.pem');
    const err = thrown(() => bankSetupsFromEnv(env(missing)));
    expect(err).toBeInstanceOf(BankConfigError);
    expect(err.message).toContain(`BANK_CA_PATH ${missing}`);
    expect(err.message).toContain('ENOENT');
  });
});
