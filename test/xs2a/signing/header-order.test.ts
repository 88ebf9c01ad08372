import { describe, expect, it } from 'vitest';
import { generateSandboxCertificates } from '../../../xs2a/certs';
import { Xs2aError } from '../../../xs2a/errors';
import { parseGenericProfile } from '../../../banks/generic/profile';
import { BEC_SIGNATURE_STYLE, Xs2aSigner } from '../../../xs2a/signing';
import type { SignatureStyle } from '../../../xs2a/signing/types';

const set = generateSandboxCertificates();

/** psu-id, psu-corporate-id and tpp-redirect-uri must be signed whenever a request carries them. */
describe('signature headerOrder must name all five signable headers', () => {
  it('Xs2aSigner refuses a style that omits some, naming the missing ones', () => {
    const style: SignatureStyle = {
      ...BEC_SIGNATURE_STYLE,
      headerOrder: ['digest', 'x-request-id', 'psu-corporate-id'],
    };
    expect(() => new Xs2aSigner(set.qseal, style)).toThrow(/headerOrder must include "psu-id", "tpp-redirect-uri"/);
    expect(() => new Xs2aSigner(set.qseal, { ...BEC_SIGNATURE_STYLE, headerOrder: ['x-request-id'] })).toThrow(
      /"digest", "psu-id", "psu-corporate-id", "tpp-redirect-uri"/,
    );
  });

  it('Xs2aSigner accepts all five in any order', () => {
    const headerOrder = ['tpp-redirect-uri', 'psu-id', 'x-request-id', 'psu-corporate-id', 'digest'] as const;
    const signer = new Xs2aSigner(set.qseal, { ...BEC_SIGNATURE_STYLE, headerOrder });
    expect(
      signer.signedHeadersFor({ 'X-Request-ID': 'r', 'PSU-ID': 'p', 'TPP-Redirect-URI': 'https://tpp/cb' }),
    ).toEqual(['tpp-redirect-uri', 'psu-id', 'x-request-id', 'digest']);
  });

  it('a generic profile must list exactly the five', () => {
    const profile = (headerOrder: string[]) => ({
      id: 'plainbank',
      name: 'Plain Bank',
      country: 'SE',
      environment: 'sandbox',
      services: ['ais'],
      scaApproach: 'redirect',
      baseUrl: 'https://bank.example',
      signature: {
        digestAlgorithm: 'SHA-256',
        signatureAlgorithm: 'rsa-sha256',
        headerOrder,
        caFormat: 'rfc4514',
        serialCase: 'lower',
      },
      consent: { maxValidityDays: 90, transactionHistoryDays: 365 },
    });
    const all = ['x-request-id', 'digest', 'tpp-redirect-uri', 'psu-corporate-id', 'psu-id'];
    expect(parseGenericProfile(profile(all)).signature.headerOrder).toEqual(all);
    for (const headerOrder of [
      ['x-request-id', 'digest'],
      ['digest', 'x-request-id', 'psu-id', 'psu-corporate-id'],
      [...all, 'psu-id'],
    ]) {
      let error: unknown;
      try {
        parseGenericProfile(profile(headerOrder));
      } catch (err) {
        error = err;
      }
      expect(error, headerOrder.join()).toBeInstanceOf(Xs2aError);
      expect(error).toMatchObject({ kind: 'configuration', field: 'signature.headerOrder' });
    }
  });
});
