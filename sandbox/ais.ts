import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { BankRuntime, Route, RouteRequest } from './bank-server';
import { ApiFailure, sendJson } from './http';
import type { ConsentRecord, SandboxAccount, SandboxBalance, SandboxTransaction, TransactionQuery } from './state';

/** Account information shared by BEC (payment accounts) and Enfuce (card accounts). */

export type AccountFlavour = 'accounts' | 'card-accounts';

/** Query parameter of our own: the opaque page token in `_links.next.href`. */
export const PAGE_TOKEN_PARAM = 'pageToken';

/** The consent a data read runs under: known to this TPP, valid, not expired. */
export function requireUsableConsent(
  rt: BankRuntime,
  consentId: string,
  tppOrgId: string,
  bankId?: string,
): ConsentRecord {
  const consent = rt.state.getConsent(consentId);
  if (
    !consent ||
    consent.tppOrgId !== tppOrgId ||
    (bankId !== undefined && consent.bankId !== undefined && consent.bankId !== bankId)
  ) {
    throw new ApiFailure(403, 'CONSENT_UNKNOWN', `Consent ${consentId} is not known for this TPP`);
  }
  if (consent.status === 'expired')
    throw new ApiFailure(401, 'CONSENT_EXPIRED', `Consent ${consentId} expired (validUntil ${consent.validUntil})`);
  if (consent.status !== 'valid') {
    const why = consent.status === 'received' ? 'is not yet authorised by the PSU' : `has status ${consent.status}`;
    throw new ApiFailure(401, 'CONSENT_INVALID', `Consent ${consentId} ${why}`);
  }
  return consent;
}

/** frequencyPerDay: an unattended read (no PSU-IP-Address) counts; page 2+ of a list does not (the caller skips it). */
export function countRead(rt: BankRuntime, r: RouteRequest, consent: ConsentRecord, endpoint: string): void {
  const psuPresent = Boolean(r.header('psu-ip-address'));
  const check = rt.state.countAccess(consent.consentId, endpoint, psuPresent);
  if (!check.allowed && rt.state.settings.enforceFrequencyPerDay) {
    throw new ApiFailure(
      429,
      'ACCESS_EXCEEDED',
      `frequencyPerDay ${consent.frequencyPerDay} used up for ${endpoint} today (${check.used} unattended reads); send PSU-IP-Address when the PSU is present`,
    );
  }
}

type Grant = 'accounts' | 'balances' | 'transactions';

const normalisePan = (pan: string | undefined) => (pan ?? '').replace(/\s+/g, '').toUpperCase();

interface AccountReference {
  iban?: string;
  bban?: string;
  maskedPan?: string;
  pan?: string;
}

function refMatches(ref: AccountReference, account: SandboxAccount): boolean {
  if (ref.iban && account.iban)
    return ref.iban.replace(/\s+/g, '').toUpperCase() === account.iban.replace(/\s+/g, '').toUpperCase();
  if (ref.bban && account.bban) return ref.bban === account.bban;
  if (ref.maskedPan && account.maskedPan) return normalisePan(ref.maskedPan) === normalisePan(account.maskedPan);
  return false;
}

/**
 * What the consent's `access` grants on one account. allPsd2 grants all; availableAccounts only
 * the list; explicit references per category; empty arrays are a bank-offered consent (the PSU
 * chose at the bank, and in the sandbox chooses all).
 */
export function accessAllows(access: unknown, account: SandboxAccount, grant: Grant): boolean {
  if (!access || typeof access !== 'object') return false;
  const a = access as Record<string, unknown>;
  if (a.allPsd2 === 'allAccounts' || a.allPsd2 === 'allAccountsWithOwnerName') return true;
  if (grant === 'accounts' && (a.availableAccounts || a.availableAccountsWithBalance)) return true;
  if (grant === 'balances' && a.availableAccountsWithBalance) return true;
  const lists = (['accounts', 'balances', 'transactions'] as const).map((k) =>
    Array.isArray(a[k]) ? (a[k] as AccountReference[]) : undefined,
  );
  const [accounts, balances, transactions] = lists;
  const bankOffered = lists.some((l) => l !== undefined) && lists.every((l) => l === undefined || l.length === 0);
  if (bankOffered)
    return grant === 'accounts' || (grant === 'balances' ? balances !== undefined : transactions !== undefined);
  const inList = (l?: AccountReference[]) => Boolean(l?.some((ref) => refMatches(ref, account)));
  switch (grant) {
    case 'accounts':
      return inList(accounts) || inList(balances) || inList(transactions);
    case 'balances':
      return inList(balances);
    case 'transactions':
      return inList(transactions);
  }
}

export function visibleAccounts(rt: BankRuntime, consent: ConsentRecord): SandboxAccount[] {
  return rt.state.accounts(consent.consentId).filter((acc) => accessAllows(consent.access, acc, 'accounts'));
}

export function requireAccount(
  rt: BankRuntime,
  consent: ConsentRecord,
  resourceId: string,
  grant: Grant,
): SandboxAccount {
  const account = rt.state.account(consent.consentId, resourceId);
  if (!account || !accessAllows(consent.access, account, 'accounts')) {
    throw new ApiFailure(
      404,
      'RESOURCE_UNKNOWN',
      `Account ${resourceId} is not known under consent ${consent.consentId}`,
    );
  }
  if (!accessAllows(consent.access, account, grant)) {
    throw new ApiFailure(
      401,
      'CONSENT_INVALID',
      `Consent ${consent.consentId} does not grant ${grant} on account ${resourceId}`,
    );
  }
  return account;
}

/** Where `_links` point, relative to the bank's baseUrl (BEC: below /psd2/{bankId}; Enfuce: the origin). */
export function accountsLinkBase(flavour: AccountFlavour): string {
  return flavour === 'accounts' ? '/v1/accounts' : '/card-account/v1/card-accounts';
}

export function accountJson(
  account: SandboxAccount,
  flavour: AccountFlavour,
  balances?: SandboxBalance[],
): Record<string, unknown> {
  const base = `${accountsLinkBase(flavour)}/${encodeURIComponent(account.resourceId)}`;
  const common = {
    resourceId: account.resourceId,
    currency: account.currency,
    name: account.name,
    product: account.product,
    ownerName: account.ownerName,
    status: account.status,
  };
  const body: Record<string, unknown> =
    flavour === 'accounts'
      ? { ...common, iban: account.iban, bban: account.bban, cashAccountType: account.cashAccountType }
      : { ...common, maskedPan: account.maskedPan, creditLimit: account.creditLimit };
  if (balances) body.balances = balances;
  body._links = { balances: { href: `${base}/balances` }, transactions: { href: `${base}/transactions` } };
  return dropUndefined(body);
}

export function accountReference(account: SandboxAccount, flavour: AccountFlavour): Record<string, string> {
  return flavour === 'accounts'
    ? (dropUndefined({ iban: account.iban, currency: account.currency }) as Record<string, string>)
    : (dropUndefined({ maskedPan: account.maskedPan, currency: account.currency }) as Record<string, string>);
}

function transactionJson(t: SandboxTransaction, flavour: AccountFlavour): Record<string, unknown> {
  if (flavour === 'accounts') {
    return dropUndefined({
      transactionId: t.transactionId,
      entryReference: t.entryReference,
      bookingDate: t.bookingStatus === 'booked' ? t.bookingDate : undefined,
      valueDate: t.valueDate,
      transactionAmount: t.transactionAmount,
      creditorName: t.creditorName,
      debtorName: t.debtorName,
      // As BEC's banks do: the remittance fields stay empty and the text is in additionalInformation.
      additionalInformation: t.remittanceInformationUnstructured,
    });
  }
  return dropUndefined({
    cardTransactionId: t.transactionId,
    transactionDate: t.transactionDate,
    bookingDate: t.bookingStatus === 'booked' ? t.bookingDate : undefined,
    valueDate: t.valueDate,
    transactionAmount: t.transactionAmount,
    maskedPAN: t.maskedPan,
    cardAcceptorId: t.cardAcceptorId,
    merchantCategoryCode: t.merchantCategoryCode,
    transactionDetails: t.remittanceInformationUnstructured ?? t.creditorName ?? t.debtorName,
  });
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

// --- paging -------------------------------------------------------------------

/** Signs page tokens so a client can neither forge an offset nor reuse a token for another query. */
const PAGE_KEY = randomBytes(32);

function pageBinding(consentId: string, resourceId: string, q: TransactionQuery): string {
  return [consentId, resourceId, q.bookingStatus, q.dateFrom, q.dateTo ?? ''].join('\n');
}

export function encodePageToken(offset: number, binding: string): string {
  const payload = Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
  const mac = createHmac('sha256', PAGE_KEY).update(`${payload}\n${binding}`).digest('base64url').slice(0, 22);
  return `${payload}.${mac}`;
}

export function decodePageToken(token: string, binding: string): number | undefined {
  const [payload, mac] = token.split('.');
  if (!payload || !mac) return undefined;
  const expected = createHmac('sha256', PAGE_KEY).update(`${payload}\n${binding}`).digest('base64url').slice(0, 22);
  if (mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) return undefined;
  try {
    const { o } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { o?: unknown };
    return typeof o === 'number' && Number.isInteger(o) && o >= 0 ? o : undefined;
  } catch {
    return undefined;
  }
}

const single = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** The transaction query of a request; 400 when it cannot be served. */
export function transactionQuery(r: RouteRequest): TransactionQuery {
  const bookingStatus = single(r.query.bookingStatus);
  if (bookingStatus !== 'booked' && bookingStatus !== 'pending' && bookingStatus !== 'both') {
    throw new ApiFailure(
      400,
      'PARAMETER_NOT_SUPPORTED',
      `bookingStatus "${bookingStatus ?? ''}" is not supported; use booked, pending or both`,
      'bookingStatus',
    );
  }
  const dateFrom = single(r.query.dateFrom);
  if (!dateFrom) throw new ApiFailure(400, 'FORMAT_ERROR', 'Query parameter dateFrom is required', 'dateFrom');
  const dateTo = single(r.query.dateTo);
  if (dateTo && dateTo < dateFrom)
    throw new ApiFailure(400, 'FORMAT_ERROR', `dateTo ${dateTo} is before dateFrom ${dateFrom}`, 'dateTo');
  return { bookingStatus, dateFrom, ...(dateTo ? { dateTo } : {}) };
}

/** Page offset of a request: 0 for the first page; `isContinuation` tells frequencyPerDay to skip counting. */
export function pageOffset(
  r: RouteRequest,
  consentId: string,
  resourceId: string,
  query: TransactionQuery,
): { offset: number; isContinuation: boolean } {
  const token = single(r.query[PAGE_TOKEN_PARAM]);
  if (token === undefined) return { offset: 0, isContinuation: false };
  const offset = decodePageToken(token, pageBinding(consentId, resourceId, query));
  if (offset === undefined)
    throw new ApiFailure(
      400,
      'FORMAT_ERROR',
      'The page token is invalid or belongs to another query',
      PAGE_TOKEN_PARAM,
    );
  return { offset, isContinuation: true };
}

/** The Berlin Group account report for one page. */
export function sendTransactionsPage(
  r: RouteRequest,
  rt: BankRuntime,
  consent: ConsentRecord,
  account: SandboxAccount,
  flavour: AccountFlavour,
  query: TransactionQuery,
  offset: number,
): void {
  const all = rt.state.transactions(consent.consentId, account.resourceId, query);
  const size = Math.max(1, rt.state.settings.transactionsPageSize);
  const page = all.slice(offset, offset + size);
  const links: Record<string, { href: string }> = {
    account: { href: `${accountsLinkBase(flavour)}/${encodeURIComponent(account.resourceId)}` },
  };
  if (offset + size < all.length) {
    const next = new URLSearchParams({ bookingStatus: query.bookingStatus, dateFrom: query.dateFrom });
    if (query.dateTo) next.set('dateTo', query.dateTo);
    next.set(
      PAGE_TOKEN_PARAM,
      encodePageToken(offset + size, pageBinding(consent.consentId, account.resourceId, query)),
    );
    links.next = {
      href: `${accountsLinkBase(flavour)}/${encodeURIComponent(account.resourceId)}/transactions?${next.toString()}`,
    };
  }
  const booked = page.filter((t) => t.bookingStatus === 'booked').map((t) => transactionJson(t, flavour));
  const pending = page.filter((t) => t.bookingStatus === 'pending').map((t) => transactionJson(t, flavour));
  const report: Record<string, unknown> = {};
  if (query.bookingStatus !== 'pending') report.booked = booked;
  if (query.bookingStatus !== 'booked') report.pending = pending;
  report._links = links;
  const body =
    flavour === 'accounts'
      ? { account: { iban: account.iban }, transactions: report }
      : { cardAccount: { maskedPan: account.maskedPan }, cardTransactions: report };
  sendJson(r.res, 200, body, r.responseHeaders);
}

// --- routes -------------------------------------------------------------------

/** How one bank serves the AIS data reads: where, in which flavour, and how a read is authenticated. */
export interface AisRouteOptions {
  /** Path before the Berlin Group path: BEC `/psd2/:bankId`, Enfuce `/card-account`. */
  prefix: string;
  /** `accounts` (/v1/accounts, payment accounts) or `card-accounts` (/v1/card-accounts). */
  flavour: AccountFlavour;
  /**
   * The request's authentication, resolved to the consent the read runs under (known to this TPP,
   * valid): BEC the Consent-ID header; Enfuce a PSU bearer token bound to that Consent-ID.
   */
  readConsent: (r: RouteRequest, rt: BankRuntime) => ConsentRecord;
}

/**
 * The account list, details, balances and transactions: authentication, then the consent's
 * grant on the account, then frequencyPerDay (page 2+ of transactions does not count).
 */
export function aisRoutes({ prefix, flavour, readConsent }: AisRouteOptions): Route[] {
  const path = `/v1/${flavour}`;
  const one = flavour === 'accounts' ? 'account' : 'cardAccount';
  const all = flavour === 'accounts' ? 'accounts' : 'cardAccounts';
  /** Berlin Group defines withBalance on payment accounts only (the spec validator refuses it elsewhere). */
  const withBalance = (r: RouteRequest) => flavour === 'accounts' && r.query.withBalance === 'true';
  return [
    {
      method: 'GET',
      pattern: `${prefix}${path}`,
      kind: 'api',
      role: 'PSP_AI',
      specPath: () => path,
      handle(r, rt) {
        const consent = readConsent(r, rt);
        countRead(rt, r, consent, 'accounts');
        const balances = withBalance(r);
        const accounts = visibleAccounts(rt, consent).map((acc) =>
          accountJson(
            acc,
            flavour,
            balances && accessAllows(consent.access, acc, 'balances')
              ? rt.state.balances(consent.consentId, acc.resourceId)
              : undefined,
          ),
        );
        sendJson(r.res, 200, { [all]: accounts }, r.responseHeaders);
      },
    },
    {
      method: 'GET',
      pattern: `${prefix}${path}/:accountId`,
      kind: 'api',
      role: 'PSP_AI',
      specPath: (r) => `${path}/${r.params.accountId}`,
      handle(r, rt) {
        const consent = readConsent(r, rt);
        const account = requireAccount(rt, consent, r.params.accountId, 'accounts');
        countRead(rt, r, consent, `account:${account.resourceId}`);
        const balances = withBalance(r)
          ? (requireAccount(rt, consent, account.resourceId, 'balances'),
            rt.state.balances(consent.consentId, account.resourceId))
          : undefined;
        sendJson(r.res, 200, { [one]: accountJson(account, flavour, balances) }, r.responseHeaders);
      },
    },
    {
      method: 'GET',
      pattern: `${prefix}${path}/:accountId/balances`,
      kind: 'api',
      role: 'PSP_AI',
      specPath: (r) => `${path}/${r.params.accountId}/balances`,
      handle(r, rt) {
        const consent = readConsent(r, rt);
        const account = requireAccount(rt, consent, r.params.accountId, 'balances');
        countRead(rt, r, consent, `balances:${account.resourceId}`);
        sendJson(
          r.res,
          200,
          {
            [one]: accountReference(account, flavour),
            balances: rt.state.balances(consent.consentId, account.resourceId),
          },
          r.responseHeaders,
        );
      },
    },
    {
      method: 'GET',
      pattern: `${prefix}${path}/:accountId/transactions`,
      kind: 'api',
      role: 'PSP_AI',
      specPath: (r) => `${path}/${r.params.accountId}/transactions`,
      ownQueryParams: [PAGE_TOKEN_PARAM],
      handle(r, rt) {
        const consent = readConsent(r, rt);
        const account = requireAccount(rt, consent, r.params.accountId, 'transactions');
        const query = transactionQuery(r);
        const { offset, isContinuation } = pageOffset(r, consent.consentId, account.resourceId, query);
        if (!isContinuation) countRead(rt, r, consent, `transactions:${account.resourceId}`);
        sendTransactionsPage(r, rt, consent, account, flavour, query, offset);
      },
    },
  ];
}
