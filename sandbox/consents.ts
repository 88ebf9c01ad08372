import type { BankRuntime, RouteRequest } from './bank-server';
import { ApiFailure } from './http';
import type { ConsentRecord } from './state';

/** Consent creation and reading, the same for BEC and Enfuce. */

interface ConsentBody {
  access: unknown;
  recurringIndicator: boolean;
  validUntil: string;
  frequencyPerDay: number;
  combinedServiceIndicator: boolean;
}

export function createConsentFrom(
  r: RouteRequest,
  rt: BankRuntime,
  opts: { bankId?: string; redirectUri?: string; nokRedirectUri?: string } = {},
): ConsentRecord {
  const body = r.json as ConsentBody;
  const a = body.access as Record<string, unknown>;
  if (!a || typeof a !== 'object' || Object.keys(a).length === 0)
    throw new ApiFailure(400, 'FORMAT_ERROR', 'access must grant something', 'access');
  const consent = rt.state.createConsent({
    bankId: opts.bankId,
    tppOrgId: r.qwac!.info.organizationIdentifier!,
    access: body.access,
    recurringIndicator: body.recurringIndicator,
    // BankState checks the date and shortens it to the bank's MAX_CONSENT_DAYS; answers use the record's.
    validUntil: body.validUntil,
    // A one-off consent allows one read a day, whatever was asked for.
    frequencyPerDay: body.recurringIndicator ? body.frequencyPerDay : 1,
    combinedServiceIndicator: body.combinedServiceIndicator,
    redirectUri: opts.redirectUri,
    nokRedirectUri: opts.nokRedirectUri,
  });
  rt.side.consentTpp.set(consent.consentId, { name: r.qwac!.displayName, orgId: consent.tppOrgId });
  return consent;
}

/** A consent of this TPP, whatever its status; 403 CONSENT_UNKNOWN otherwise. */
export function ownConsent(rt: BankRuntime, r: RouteRequest, consentId: string, bankId?: string): ConsentRecord {
  const consent = rt.state.getConsent(consentId);
  if (
    !consent ||
    consent.tppOrgId !== r.qwac!.info.organizationIdentifier ||
    (bankId !== undefined && consent.bankId !== undefined && consent.bankId !== bankId)
  ) {
    throw new ApiFailure(403, 'CONSENT_UNKNOWN', `Consent ${consentId} is not known for this TPP`);
  }
  return consent;
}

export function consentJson(consent: ConsentRecord): Record<string, unknown> {
  return {
    access: consent.access,
    recurringIndicator: consent.recurringIndicator,
    validUntil: consent.validUntil,
    frequencyPerDay: consent.frequencyPerDay,
    lastActionDate: consent.lastActionDate.slice(0, 10),
    consentStatus: consent.status,
  };
}

/** TPP-Redirect-URI and friends must be absolute http(s) URLs. */
export function redirectHeader(r: RouteRequest, name: string, required: boolean): string | undefined {
  const value = r.header(name);
  if (!value) {
    if (required)
      throw new ApiFailure(400, 'FORMAT_ERROR', `Header ${name} is required for the redirect SCA approach`, name);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ApiFailure(400, 'FORMAT_ERROR', `Header ${name} is not an absolute URL`, name);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ApiFailure(400, 'FORMAT_ERROR', `Header ${name} must be an http(s) URL`, name);
  return value;
}
