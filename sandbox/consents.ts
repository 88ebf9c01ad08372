import type { BankRuntime, RouteRequest } from './bank-server';
import { ApiFailure } from './http';
import type { ConsentRecord } from './state';

/** Consent creation and reading, the same for BEC and Enfuce apart from the maximum validity. */

interface ConsentBody {
  access: unknown;
  recurringIndicator: boolean;
  validUntil: string;
  frequencyPerDay: number;
  combinedServiceIndicator: boolean;
}

const DAY_MS = 86_400_000;

/** validUntil as the bank stores it: at most `maxDays` ahead (Berlin Group: the ASPSP adjusts, 9999-12-31 means "as long as possible"). */
export function adjustValidUntil(requested: string, today: Date, maxDays: number): string {
  const todayIso = today.toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(requested) || Number.isNaN(Date.parse(`${requested}T00:00:00Z`))) {
    throw new ApiFailure(400, 'FORMAT_ERROR', `validUntil "${requested}" is not a date`, 'validUntil');
  }
  if (requested < todayIso) throw new ApiFailure(400, 'FORMAT_ERROR', `validUntil ${requested} is in the past (today is ${todayIso})`, 'validUntil');
  const max = new Date(Date.parse(`${todayIso}T00:00:00Z`) + maxDays * DAY_MS).toISOString().slice(0, 10);
  return requested > max ? max : requested;
}

export function createConsentFrom(
  r: RouteRequest,
  rt: BankRuntime,
  opts: { maxDays: number; bankId?: string; redirectUri?: string; nokRedirectUri?: string },
): ConsentRecord {
  const body = r.json as ConsentBody;
  const a = body.access as Record<string, unknown>;
  if (!a || typeof a !== 'object' || Object.keys(a).length === 0) throw new ApiFailure(400, 'FORMAT_ERROR', 'access must grant something', 'access');
  const validUntil = adjustValidUntil(body.validUntil, rt.clock.now(), opts.maxDays);
  const consent = rt.state.createConsent({
    bankId: opts.bankId,
    tppOrgId: r.qwac!.info.organizationIdentifier!,
    access: body.access,
    recurringIndicator: body.recurringIndicator,
    validUntil,
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
  if (!consent || consent.tppOrgId !== r.qwac!.info.organizationIdentifier || (bankId !== undefined && consent.bankId !== undefined && consent.bankId !== bankId)) {
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
    if (required) throw new ApiFailure(400, 'FORMAT_ERROR', `Header ${name} is required for the redirect SCA approach`, name);
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ApiFailure(400, 'FORMAT_ERROR', `Header ${name} is not an absolute URL`, name);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ApiFailure(400, 'FORMAT_ERROR', `Header ${name} must be an http(s) URL`, name);
  return value;
}
