import { expect } from 'vitest';
import type { SandboxBanks } from '../../sandbox';
import { PSU_IP, TPP_NOK_REDIRECT, TPP_REDIRECT, browser, call, daysFrom, formFields, type TestTpp } from './helpers';

/** BEC steps the tests share: enrol the QSEAL, create a consent, let the PSU decide on the MitID page. */

export async function becEnrol(sandbox: SandboxBanks, tpp: TestTpp): Promise<void> {
  const res = await call(tpp, `${sandbox.banks.bec.baseUrl}/v1/enrolment`, {
    json: {
      signatureCertificate: tpp.signer('bec').certificateHeader,
      tppName: 'Test TPP',
      contactEmail: 'ops@tpp.example',
    },
  });
  expect(res.status, res.text).toBe(201);
}

export function consentBody(sandbox: SandboxBanks, overrides: Record<string, unknown> = {}) {
  return {
    access: { allPsd2: 'allAccounts' },
    recurringIndicator: true,
    validUntil: daysFrom(sandbox.clock.now(), 90),
    frequencyPerDay: 4,
    combinedServiceIndicator: false,
    ...overrides,
  };
}

export async function becCreateConsent(
  sandbox: SandboxBanks,
  tpp: TestTpp,
  overrides: Record<string, unknown> = {},
): Promise<{ consentId: string; scaRedirect: string }> {
  const res = await call(tpp, `${sandbox.banks.bec.baseUrl}/v1/consents`, {
    json: consentBody(sandbox, overrides),
    headers: { 'PSU-IP-Address': PSU_IP, 'TPP-Redirect-URI': TPP_REDIRECT, 'TPP-Nok-Redirect-URI': TPP_NOK_REDIRECT },
  });
  expect(res.status, res.text).toBe(201);
  expect(res.body.consentStatus).toBe('received');
  return { consentId: res.body.consentId, scaRedirect: res.body._links.scaRedirect.href };
}

/** GET the PSU page, POST the decision as a browser would; returns the redirect. */
export async function psuDecides(sandbox: SandboxBanks, pageUrl: string, decision: 'approve' | 'deny', psu?: string) {
  const b = browser(sandbox.serverCaPem);
  const page = await b.get(pageUrl);
  expect(page.status, page.text).toBe(200);
  const fields = formFields(page.text);
  const res = await b.post(pageUrl, { ...fields, ...(psu ? { psu } : {}), decision });
  await b.agent.close();
  return { page: page.text, status: res.status, location: res.headers.location as string | undefined, text: res.text };
}

export async function becValidConsent(
  sandbox: SandboxBanks,
  tpp: TestTpp,
  overrides: Record<string, unknown> = {},
  psu?: string,
): Promise<string> {
  const { consentId, scaRedirect } = await becCreateConsent(sandbox, tpp, overrides);
  const decided = await psuDecides(sandbox, scaRedirect, 'approve', psu);
  expect(decided.status, decided.text).toBe(302);
  expect(decided.location).toBe(TPP_REDIRECT);
  return consentId;
}
