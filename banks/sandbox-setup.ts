import { certificateDerBase64, inspectCertificate } from '../xs2a/certs';
import type { SandboxCertificateSet } from '../xs2a/certs/types';
import { Xs2aError } from '../xs2a/errors';
import type { SandboxBanks } from '../sandbox';
import { becProfile } from './bec/profile';
import type { BankDirectory, BankSetup } from './directory';
import { enfuceProfile } from './enfuce/profile';

/**
 * Bank profiles pointed at the running sandbox banks: the base URL (and for
 * Enfuce the client id and API key) is the only difference from production.
 */
export function sandboxBankSetups(
  sandbox: SandboxBanks,
  tpp: SandboxCertificateSet,
  /** More BEC member banks the sandbox serves (6140, 9070), each its own ASPSP `bec-<bankId>`. */
  moreBecBankIds: readonly string[] = [],
): BankSetup[] {
  const credentials = { qwac: tpp.qwac, qseal: tpp.qseal, bankCaPem: sandbox.serverCaPem };
  const clientId = inspectCertificate(tpp.qwac.certificatePem).organizationIdentifier;
  if (!clientId)
    throw new Xs2aError('the sandbox QWAC has no organizationIdentifier to use as client_id', {
      kind: 'configuration',
    });
  const bec = sandbox.banks.bec;
  const becOrigin = bec.baseUrl.replace(/\/psd2\/[^/]+$/, '');
  return [
    {
      profile: becProfile({ bankId: bec.baseUrl.split('/').at(-1)!, environment: 'sandbox', baseUrl: bec.baseUrl }),
      credentials,
    },
    ...moreBecBankIds.map((bankId) => ({
      profile: becProfile({
        bankId,
        environment: 'sandbox',
        baseUrl: `${becOrigin}/psd2/${bankId}`,
        id: `bec-${bankId}`,
        name: `BEC ${bankId}`,
      }),
      credentials,
    })),
    ...(['rocker', 'st1'] as const).map((issuer) => {
      const bank = sandbox.banks[`enfuce-${issuer}`];
      return {
        profile: enfuceProfile({
          issuer,
          environment: 'sandbox',
          baseUrl: bank.baseUrl,
          clientId,
          apiKey: bank.apiKey,
        }),
        credentials,
      };
    }),
  ];
}

/** BEC's one-off enrolment of the QSEAL, per bank, before any other call. Idempotent at the bank. */
export async function enrolAtBec(directory: BankDirectory, tpp: SandboxCertificateSet): Promise<void> {
  for (const profile of directory.profiles()) {
    if (profile.family === 'bec')
      await directory.get(profile.id).client.enrolSignatureCertificate(certificateDerBase64(tpp.qseal.certificatePem));
  }
}
