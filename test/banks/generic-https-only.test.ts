import { describe, expect, it } from 'vitest';
import { Xs2aError } from '../../xs2a/errors';
import { parseGenericProfile } from '../../banks/generic/profile';

const base = {
  id: 'cardco',
  name: 'CardCo',
  country: 'FI',
  environment: 'production',
  services: ['ais'],
  scaApproach: 'oauth2-integrated',
  baseUrl: 'https://api.cardco.example',
  oauth: {
    tokenUrl: 'https://api.cardco.example/token',
    authorizeUrl: 'https://api.cardco.example/authorize',
    clientId: 'cid',
  },
  signature: 'enfuce',
  consent: { maxValidityDays: 90, transactionHistoryDays: 730 },
};

function thrown(fn: () => unknown): Xs2aError {
  try {
    fn();
  } catch (err) {
    if (err instanceof Xs2aError) return err;
    throw err;
  }
  throw new Error('expected an Xs2aError');
}

describe('generic profiles: bank URLs must be https', () => {
  it('accepts https', () => {
    expect(parseGenericProfile(base).baseUrl).toBe('https://api.cardco.example');
  });

  for (const url of ['http://api.cardco.example', 'ftp://api.cardco.example', 'javascript:alert(1)']) {
    it(`refuses ${url} as baseUrl, tokenUrl and authorizeUrl`, () => {
      const cases: [unknown, string][] = [
        [{ ...base, baseUrl: url }, 'baseUrl'],
        [{ ...base, oauth: { ...base.oauth, tokenUrl: url } }, 'oauth.tokenUrl'],
        [{ ...base, oauth: { ...base.oauth, authorizeUrl: url } }, 'oauth.authorizeUrl'],
      ];
      for (const [data, field] of cases) {
        const err = thrown(() => parseGenericProfile(data));
        expect(err.kind, field).toBe('configuration');
        expect(err.field, field).toBe(field);
      }
    });
  }
});
