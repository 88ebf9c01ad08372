import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Xs2aError } from '../../xs2a/errors';
import { becProfile } from '../../banks/bec/profile';
import { enfuceProfile } from '../../banks/enfuce/profile';
import { loadGenericProfile } from '../../banks/generic/profile';
import { BEC_SIGNATURE_STYLE, ENFUCE_SIGNATURE_STYLE } from '../../xs2a/signing/styles';

function thrown(fn: () => unknown): Xs2aError {
  try {
    fn();
  } catch (err) {
    if (err instanceof Xs2aError) return err;
    throw err;
  }
  throw new Error('expected an Xs2aError');
}

describe('becProfile', () => {
  it('describes BEC: redirect SCA, payment accounts, PIS and PIIS, 180-day consents', () => {
    const p = becProfile({ bankId: '0400', environment: 'production' });
    expect(p).toMatchObject({
      id: 'bec',
      name: 'BEC (Danish banks)',
      country: 'DK',
      environment: 'production',
      services: ['ais', 'pis', 'piis'],
      family: 'bec',
      scaApproach: 'redirect',
      baseUrl: 'https://api.bec.dk/psd2/0400',
      paths: {
        consents: '/v1/consents',
        accounts: '/v1/accounts',
        accountKind: 'accounts',
        payments: '/v1/payments',
        fundsConfirmations: '/v1/funds-confirmations',
        enrolment: '/v1/enrolment',
      },
      consent: { maxValidityDays: 180, defaultFrequencyPerDay: 4, transactionHistoryDays: 730 },
      bankId: '0400',
    });
    expect(p.signature).toBe(BEC_SIGNATURE_STYLE);
    expect(p.oauth).toBeUndefined();
    expect(becProfile({ bankId: '0400', environment: 'sandbox' }).baseUrl).toBe('https://sandbox-api.bec.dk/psd2/0400');
  });

  it('takes the sandbox bank base URL, without a trailing slash', () => {
    expect(
      becProfile({ bankId: '0400', environment: 'sandbox', baseUrl: 'https://127.0.0.1:9443/psd2/0400/' }).baseUrl,
    ).toBe('https://127.0.0.1:9443/psd2/0400');
  });
});

describe('enfuceProfile', () => {
  it('describes Rocker: OAuth2 integrated, card accounts, 90-day consents, sandbox rate limit', () => {
    const p = enfuceProfile({
      issuer: 'rocker',
      environment: 'sandbox',
      baseUrl: 'https://127.0.0.1:9444/',
      clientId: 'cid',
      apiKey: 'key',
    });
    expect(p).toMatchObject({
      id: 'enfuce-rocker',
      name: 'Rocker',
      country: 'SE',
      services: ['ais'],
      family: 'enfuce',
      scaApproach: 'oauth2-integrated',
      baseUrl: 'https://127.0.0.1:9444',
      paths: {
        consents: '/consent/v1/consents',
        accounts: '/card-account/v1/card-accounts',
        accountKind: 'card-accounts',
      },
      oauth: {
        tokenUrl: 'https://127.0.0.1:9444/v1/token',
        authorizeUrl: 'https://127.0.0.1:9444/v1/authorizations',
        clientId: 'cid',
        apiKey: 'key',
      },
      consent: { maxValidityDays: 90, defaultFrequencyPerDay: 4, transactionHistoryDays: 730 },
      rateLimit: { perSecond: 5, perDay: 1000 },
    });
    expect(p.signature).toBe(ENFUCE_SIGNATURE_STYLE);
    expect(p.paths.payments).toBeUndefined();
  });

  it('describes ST1 Finance in Finland; production has no assumed rate limit', () => {
    const p = enfuceProfile({ issuer: 'st1', environment: 'production', clientId: 'cid' });
    expect(p).toMatchObject({ id: 'enfuce-st1', name: 'ST1 Finance', country: 'FI', environment: 'production' });
    expect(p.rateLimit).toBeUndefined();
    expect(p.oauth?.apiKey).toBeUndefined();
    expect(p.oauth?.tokenUrl).toBe(`${p.baseUrl}/v1/token`);
  });
});

describe('loadGenericProfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  const yamlProfile = `
id: nordbank
name: Nordbank
country: SE
environment: sandbox
services: [ais]
scaApproach: redirect
baseUrl: https://127.0.0.1:9445/xs2a/
signature: bec
consent:
  maxValidityDays: 180
  transactionHistoryDays: 365
rateLimit: { perSecond: 2, perDay: 500 }
`;

  it('loads a YAML profile with Berlin Group default paths and a named signature style', () => {
    const p = loadGenericProfile(write('nordbank.yaml', yamlProfile));
    expect(p).toEqual({
      id: 'nordbank',
      name: 'Nordbank',
      country: 'SE',
      environment: 'sandbox',
      services: ['ais'],
      family: 'berlin-group',
      scaApproach: 'redirect',
      baseUrl: 'https://127.0.0.1:9445/xs2a',
      paths: { consents: '/v1/consents', accounts: '/v1/accounts', accountKind: 'accounts' },
      signature: BEC_SIGNATURE_STYLE,
      consent: { maxValidityDays: 180, defaultFrequencyPerDay: 4, transactionHistoryDays: 365 },
      rateLimit: { perSecond: 2, perDay: 500 },
      // 1.3.12 declares PSU-IP-Address ipv4: a file must say psuIpv6: true to get IPv6 sent.
      psuIpv6: false,
    });
  });

  it('loads a JSON OAuth2 profile with an explicit signature style', () => {
    const style = {
      digestAlgorithm: 'SHA-512',
      signatureAlgorithm: 'rsa-sha512',
      headerOrder: ['x-request-id', 'digest', 'psu-id', 'psu-corporate-id', 'tpp-redirect-uri'],
      caFormat: 'x500',
      serialCase: 'upper',
    };
    const file = write(
      'cardco.json',
      JSON.stringify({
        id: 'cardco',
        name: 'CardCo',
        country: 'FI',
        environment: 'production',
        services: ['ais'],
        scaApproach: 'oauth2-integrated',
        baseUrl: 'https://api.cardco.example',
        paths: {
          consents: '/consent/v1/consents',
          accounts: '/card-account/v1/card-accounts',
          accountKind: 'card-accounts',
        },
        oauth: {
          tokenUrl: 'https://api.cardco.example/token',
          authorizeUrl: 'https://api.cardco.example/authorize',
          clientId: 'cid',
        },
        signature: style,
        consent: { maxValidityDays: 90, defaultFrequencyPerDay: 4, transactionHistoryDays: 730 },
      }),
    );
    const p = loadGenericProfile(file);
    expect(p.signature).toEqual(style);
    expect(p.paths.accountKind).toBe('card-accounts');
    expect(p.oauth?.clientId).toBe('cid');
  });

  it('names the file and the field that is wrong', () => {
    const cases: [string, string, RegExp][] = [
      ['bad-url.yaml', yamlProfile.replace('https://127.0.0.1:9445/xs2a/', 'not a url'), /baseUrl/],
      ['bad-approach.yaml', yamlProfile.replace('scaApproach: redirect', 'scaApproach: embedded'), /scaApproach/],
      ['no-consent.yaml', yamlProfile.replace(/consent:[\s\S]*?365\n/, ''), /consent/],
      [
        'bad-days.yaml',
        yamlProfile.replace('maxValidityDays: 180', 'maxValidityDays: "180"'),
        /consent\.maxValidityDays/,
      ],
      [
        'no-oauth.yaml',
        yamlProfile.replace('scaApproach: redirect', 'scaApproach: oauth2-integrated'),
        /oauth: required when scaApproach is oauth2-integrated/,
      ],
      [
        'bad-style.yaml',
        yamlProfile.replace(
          'signature: bec',
          'signature: { digestAlgorithm: SHA-256, signatureAlgorithm: rsa-sha256, headerOrder: [digest, date], caFormat: x500, serialCase: lower }',
        ),
        /signature/,
      ],
      ['typo.yaml', yamlProfile.replace('services: [ais]', 'services: [ais]\nservice: [pis]'), /service/],
      [
        'bad-path.yaml',
        yamlProfile.replace('signature: bec', 'signature: bec\npaths: { consents: v1/consents }'),
        /paths\.consents/,
      ],
    ];
    for (const [name, text, field] of cases) {
      const file = write(name, text);
      const err = thrown(() => loadGenericProfile(file));
      expect(err.kind, name).toBe('configuration');
      expect(err.message, name).toContain(file);
      expect(err.message, name).toMatch(field);
    }
    const bad = thrown(() =>
      loadGenericProfile(write('field.yaml', yamlProfile.replace('country: SE', 'country: Sweden'))),
    );
    expect(bad.field).toBe('country');
  });

  it('reports unreadable files and syntax errors with the file name, without quoting the source', () => {
    const missing = join(dir, 'missing.yaml');
    expect(thrown(() => loadGenericProfile(missing)).message).toMatch(
      new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be read \\(ENOENT\\)`),
    );
    const broken = write('broken.json', '{"id": "x", "apiKey": "secret-key-1",');
    const err = thrown(() => loadGenericProfile(broken));
    expect(err.message).toContain(`${broken} is not valid JSON`);
    expect(err.message).not.toContain('secret-key-1');
    const badYaml = write('broken.yaml', 'id: x\n  oauth: { apiKey: secret-key-2\n');
    const yamlErr = thrown(() => loadGenericProfile(badYaml));
    expect(yamlErr.message).toContain(`${badYaml} is not valid YAML`);
    expect(yamlErr.message).not.toContain('secret-key-2');
  });
});
