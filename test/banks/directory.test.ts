import { describe, expect, it } from 'vitest';
import { createBankDirectory } from '../../banks/directory';
import { generateSandboxCertificates } from '../../xs2a/certs';
import { Xs2aError } from '../../xs2a/errors';
import { testLogger } from '../helpers/logger';
import { testBecProfile, testEnfuceProfile } from './fixtures';

describe('createBankDirectory', () => {
  const certs = generateSandboxCertificates();
  const credentials = { qwac: certs.qwac, qseal: certs.qseal, bankCaPem: certs.ca.certificatePem };

  it('one handle per bank id', async () => {
    const directory = createBankDirectory(
      [
        { profile: testBecProfile(), credentials },
        { profile: testEnfuceProfile(), credentials },
      ],
      testLogger(),
    );
    expect(
      directory
        .profiles()
        .map((p) => p.id)
        .sort(),
    ).toEqual(['bec', 'enfuce-rocker']);
    await directory.close();
  });

  it('a bank id configured twice is a configuration error naming it, not a silent replacement', () => {
    const other = { ...testBecProfile(), baseUrl: 'https://127.0.0.1:9443/psd2/6140' };
    let error: unknown;
    try {
      createBankDirectory(
        [
          { profile: testBecProfile(), credentials },
          { profile: testEnfuceProfile(), credentials },
          { profile: other, credentials },
        ],
        testLogger(),
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(Xs2aError);
    expect(error).toMatchObject({ kind: 'configuration', aspsp: 'bec' });
    expect((error as Error).message).toContain('"bec"');
  });
});
