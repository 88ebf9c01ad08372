import { beforeAll, describe, expect, it } from 'vitest';
import { generateSandboxCertificates } from '../../../xs2a/certs';
import { Xs2aError } from '../../../xs2a/errors';
import { RateBudget } from '../../../xs2a/limits/rate-budget';
import { UnattendedAccessCounter } from '../../../xs2a/limits/unattended-counter';
import type { BankProfile, TppCredentials } from '../../../xs2a/profiles/types';
import { HttpXs2aTransport } from '../../../xs2a/transport/http-client';
import { testLogger } from '../../helpers/logger';
import { testBecProfile, testEnfuceProfile } from '../../banks/fixtures';

let credentials: TppCredentials;
beforeAll(() => {
  const certs = generateSandboxCertificates();
  credentials = { qwac: certs.qwac, qseal: certs.qseal, bankCaPem: certs.ca.certificatePem };
});

function create(profile: BankProfile): HttpXs2aTransport {
  return new HttpXs2aTransport({
    profile,
    credentials,
    logger: testLogger(),
    budget: new RateBudget({ perSecond: 10, perDay: 10 }),
    unattended: new UnattendedAccessCounter(),
  });
}

function thrown(fn: () => unknown): Xs2aError {
  try {
    fn();
  } catch (err) {
    if (err instanceof Xs2aError) return err;
    throw err;
  }
  throw new Error('expected an Xs2aError');
}

describe('HttpXs2aTransport refuses bank URLs that are not https', () => {
  it('accepts https profiles', async () => {
    await create(testBecProfile()).close();
    await create(testEnfuceProfile()).close();
  });

  for (const url of ['http://127.0.0.1:8443/psd2/0400', 'ftp://bank.example', 'javascript:alert(1)']) {
    it(`refuses ${url} as baseUrl, oauth.tokenUrl or oauth.authorizeUrl`, () => {
      const enfuce = testEnfuceProfile();
      const cases: [BankProfile, string][] = [
        [{ ...testBecProfile(), baseUrl: url }, 'baseUrl'],
        [{ ...enfuce, oauth: { ...enfuce.oauth!, tokenUrl: url } }, 'oauth.tokenUrl'],
        [{ ...enfuce, oauth: { ...enfuce.oauth!, authorizeUrl: url } }, 'oauth.authorizeUrl'],
      ];
      for (const [profile, field] of cases) {
        const err = thrown(() => create(profile));
        expect(err.kind, field).toBe('configuration');
        expect(err.field, field).toBe(field);
        expect(err.aspsp, field).toBe(profile.id);
        expect(err.message, field).toContain('https');
      }
    });
  }

  it('refuses an absolute request URL that is not https, without sending', async () => {
    const transport = create(testBecProfile());
    try {
      const err = await transport
        .request({ method: 'GET', path: 'http://127.0.0.1:8443/psd2/0400/v1/accounts', operation: 'op' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(Xs2aError);
      expect((err as Xs2aError).kind).toBe('configuration');
      expect(transport.stats().requests).toBe(0);
    } finally {
      await transport.close();
    }
  });
});
