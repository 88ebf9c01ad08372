import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bankProfiles } from '../../banks/directory';
import { BankConfigError, bankProfilesFromEnv, bankSetupsFromEnv, loadBankProfiles } from '../../banks/from-env';
import { sandboxBankSetups } from '../../banks/sandbox-setup';
import { createRoot } from '../../composition/root';
import { EncryptionCodec } from '../../temporal/payload-codec';
import type { SandboxBanks } from '../../sandbox';
import { parseEnv } from '../../config/env';
import { generateSandboxCertificates } from '../../xs2a/certs';
import { testLogger } from '../helpers/logger';

const dir = mkdtempSync(join(tmpdir(), 'member-banks-'));
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

const twoBecBanks = () =>
  write('two-bec.json', [
    { preset: 'bec', bankId: '0400', environment: 'sandbox', baseUrl: 'https://127.0.0.1:8441/psd2/0400' },
    {
      preset: 'bec',
      bankId: '6140',
      environment: 'sandbox',
      baseUrl: 'https://127.0.0.1:8441/psd2/6140',
      name: 'Ringkjøbing Landbobank',
    },
    { preset: 'enfuce', issuer: 'rocker', environment: 'sandbox', clientId: 'cid', baseUrl: 'https://127.0.0.1:8442' },
  ]);

describe('several BEC member banks', () => {
  it('each BEC entry is its own ASPSP: id bec-<bankId> by default, its own name and base URL', () => {
    const profiles = loadBankProfiles(twoBecBanks());
    expect(profiles.map((p) => [p.id, p.name, p.bankId, p.baseUrl])).toEqual([
      ['bec-0400', 'BEC 0400', '0400', 'https://127.0.0.1:8441/psd2/0400'],
      ['bec-6140', 'Ringkjøbing Landbobank', '6140', 'https://127.0.0.1:8441/psd2/6140'],
      ['enfuce-rocker', 'Rocker', undefined, 'https://127.0.0.1:8442'],
    ]);
  });

  it('an explicit id keeps connections made before ids existed (id: bec)', () => {
    const file = write('legacy.json', [{ preset: 'bec', bankId: '0400', environment: 'production', id: 'bec' }]);
    expect(loadBankProfiles(file)[0]).toMatchObject({ id: 'bec', baseUrl: 'https://api.bec.dk/psd2/0400' });
  });

  it('two entries for the same member bank are refused, naming the id', () => {
    const file = write('dup.json', [
      { preset: 'bec', bankId: '0400', environment: 'sandbox' },
      { preset: 'bec', bankId: '0400', environment: 'production' },
    ]);
    expect(() => bankProfiles(loadBankProfiles(file))).toThrowError(/bank "bec-0400" is configured more than once/);
  });

  it('a bankId that is not a 4-digit registration number is refused naming the field', () => {
    const file = write('bad-id.json', [{ preset: 'bec', bankId: 'x', environment: 'sandbox' }]);
    expect(thrown(() => loadBankProfiles(file)).message).toContain('banks.0.bankId');
  });
});

describe('least privilege: the API process needs the profiles, not the keys', () => {
  it('bankProfilesFromEnv reads BANK_PROFILES_FILE alone', () => {
    expect(bankProfilesFromEnv({ BANK_PROFILES_FILE: twoBecBanks() }).map((p) => p.id)).toEqual([
      'bec-0400',
      'bec-6140',
      'enfuce-rocker',
    ]);
  });

  it('an API root starts without QWAC/QSEAL keys and serves profiles; bank transports are refused', async () => {
    const source = {
      BANK_PROFILES_FILE: twoBecBanks(),
      TOKEN_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    };
    const root = createRoot({
      env: parseEnv(source),
      logger: testLogger(),
      database: ':memory:',
      source,
      role: 'api',
      payloadCodec: new EncryptionCodec(new Map([['test1', randomBytes(32)]])),
    });
    try {
      expect(root.profiles.has('bec-6140')).toBe(true);
      expect(root.profiles.get('bec-6140').profile.bankId).toBe('6140');
      expect(() => root.banks).toThrowError(/without bank transports/);
      expect(() => root.activityDeps()).toThrowError(/without bank transports/);
    } finally {
      await root.close();
    }
  });

  it('the worker still needs every credential, naming the missing variables', () => {
    const err = thrown(() => bankSetupsFromEnv({ BANK_PROFILES_FILE: twoBecBanks() }));
    expect(err).toBeInstanceOf(BankConfigError);
    expect(err.message).toContain('QWAC_CERT_PATH is required');
    expect(err.message).toContain('BANK_CA_PATH is required');
  });
});

describe('fail fast on our own configuration', () => {
  const certs = generateSandboxCertificates();
  const other = generateSandboxCertificates();
  const env = (over: Record<string, string> = {}) => ({
    BANK_PROFILES_FILE: twoBecBanks(),
    QWAC_CERT_PATH: write('qwac.pem', certs.qwac.certificatePem),
    QWAC_KEY_PATH: write('qwac.key', certs.qwac.privateKeyPem),
    QSEAL_CERT_PATH: write('qseal.pem', certs.qseal.certificatePem),
    QSEAL_KEY_PATH: write('qseal.key', certs.qseal.privateKeyPem),
    BANK_CA_PATH: write('ca.pem', certs.ca.certificatePem),
    ...over,
  });

  it('a BANK_CA_PATH that is not PEM is refused at start-up, naming the variable and the file', () => {
    const notPem = write('ca.der', 'this is not a certificate');
    const err = thrown(() => bankSetupsFromEnv(env({ BANK_CA_PATH: notPem })));
    expect(err).toBeInstanceOf(BankConfigError);
    expect(err.message).toContain(`BANK_CA_PATH ${notPem}: holds no PEM certificate`);
  });

  it('a PEM block that does not parse is refused too', () => {
    const broken = write('broken.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(thrown(() => bankSetupsFromEnv(env({ BANK_CA_PATH: broken }))).message).toMatch(
      /BANK_CA_PATH .*broken\.pem: certificate 1 cannot be parsed/,
    );
  });

  it('a key that does not match its certificate is refused, naming both variables and the file', () => {
    const wrongKey = write('other-qseal.key', other.qseal.privateKeyPem);
    const err = thrown(() => bankSetupsFromEnv(env({ QSEAL_KEY_PATH: wrongKey })));
    expect(err).toBeInstanceOf(BankConfigError);
    expect(err.message).toContain('QSEAL_CERT_PATH/QSEAL_KEY_PATH');
    expect(err.message).toContain('does not match');
  });

  it('PUBLIC_BASE_URL is required with NODE_ENV=production', () => {
    const keys = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
    expect(() => parseEnv({ NODE_ENV: 'production', TOKEN_ENCRYPTION_KEYS: keys })).toThrowError(
      /PUBLIC_BASE_URL: is required in production/,
    );
    expect(
      parseEnv({ NODE_ENV: 'production', TOKEN_ENCRYPTION_KEYS: keys, PUBLIC_BASE_URL: 'https://x.example' }),
    ).toBeTruthy();
  });
});

describe('sandbox setup with more BEC member banks', () => {
  it('adds bec-<bankId> beside the existing bec (0400) on the same sandbox server', () => {
    const tpp = generateSandboxCertificates();
    const fake = {
      serverCaPem: tpp.ca.certificatePem,
      banks: {
        bec: { baseUrl: 'https://127.0.0.1:8441/psd2/0400' },
        'enfuce-rocker': { baseUrl: 'https://127.0.0.1:8442', apiKey: 'r' },
        'enfuce-st1': { baseUrl: 'https://127.0.0.1:8443', apiKey: 's' },
      },
    } as unknown as SandboxBanks;
    const setups = sandboxBankSetups(fake, tpp, ['6140', '9070']);
    expect(setups.map((s) => [s.profile.id, s.profile.bankId, s.profile.baseUrl])).toEqual([
      ['bec', '0400', 'https://127.0.0.1:8441/psd2/0400'],
      ['bec-6140', '6140', 'https://127.0.0.1:8441/psd2/6140'],
      ['bec-9070', '9070', 'https://127.0.0.1:8441/psd2/9070'],
      ['enfuce-rocker', undefined, 'https://127.0.0.1:8442'],
      ['enfuce-st1', undefined, 'https://127.0.0.1:8443'],
    ]);
  });
});
