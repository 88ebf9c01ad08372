import { createHash, randomUUID } from 'node:crypto';
import { dayOf, dayToIso, isoToDay } from '../data/calendar';
import { isValidIban } from '../data/iban';
import { AccountLedger } from '../data/ledger';
import { parseMinor } from '../data/money';
import { stableHex } from '../data/prng';
import { psusOf, type AccountProfile, type PsuProfile } from '../data/psus';
import { SandboxStateError } from './errors';
import { AccessCounter } from './frequency';
import { OAuthStore, type AuthorisationCodeRequest } from './oauth';
import { BANK_STATE_SNAPSHOT_VERSION, SnapshotFormatError, type BankStateSnapshot } from './snapshot';
import type {
  AccessCheck,
  ConsentRecord,
  IssuedTokens,
  PaymentRecord,
  SandboxAccount,
  SandboxBalance,
  SandboxBankId,
  SandboxClock,
  SandboxSettings,
  SandboxTransaction,
  TestPsu,
  TokenInfo,
  TransactionQuery,
} from './types';

export { SandboxStateError, sandboxErrorStatus } from './errors';
export { createSandboxClock } from './clock';

export const DEFAULT_SETTINGS: Readonly<SandboxSettings> = Object.freeze({
  pendingToBooked: 'same-id',
  resourceIdsPerConsent: false,
  accessTokenTtlMs: 3_600_000,
  refreshTokenTtlMs: 90 * 86_400_000,
  transactionsPageSize: 100,
  enforceFrequencyPerDay: true,
});

/**
 * The longest consent each bank grants, in days from creation. A longer validUntil (including BG's
 * "9999-12-31" for "as long as possible") is shortened to this, as BG allows the ASPSP to do; the
 * consent record and every response then carry the shortened date.
 */
export const MAX_CONSENT_DAYS: Record<SandboxBankId, number> = { bec: 180, 'enfuce-rocker': 90, 'enfuce-st1': 90 };

/** A SEPA payment's ACTC turns ACSC this long after the PSU's approval. */
export const SETTLEMENT_DELAY_MS = 1000;
/** A cross-border payment stays ACSP (settlement in process) this long after the PSU's approval, then ACSC. */
export const CROSS_BORDER_SETTLEMENT_DELAY_MS = 2 * 3_600_000;

/** The status right after the PSU's approval, by payment product. */
function approvedStatus(product: string): 'ACTC' | 'ACSP' | 'ACSC' {
  if (product === 'instant-sepa-credit-transfers') return 'ACSC';
  if (product === 'cross-border-credit-transfers') return 'ACSP';
  return 'ACTC';
}

type ConsentInput = Omit<ConsentRecord, 'consentId' | 'status' | 'createdAt' | 'lastActionDate' | 'bank'>;
type PaymentInput = Omit<PaymentRecord, 'paymentId' | 'status' | 'createdAt'>;

/** What a consent's access object grants on one account. */
interface Grants {
  balances: boolean;
  transactions: boolean;
}

interface AccountRef {
  iban?: string;
  maskedPan?: string;
  bban?: string;
}

/** One sandbox bank's whole state: consents, tokens, payments, enrolments and the PSUs' ledgers. */
export class BankState {
  readonly bank: SandboxBankId;
  settings: SandboxSettings;

  private readonly clock: SandboxClock;
  private readonly seed: string;
  private readonly psus: PsuProfile[];
  private readonly consents = new Map<string, ConsentRecord>();
  private readonly payments = new Map<string, PaymentRecord & { decidedAt?: number }>();
  private readonly enrolments = new Map<string, { enrolmentId: string; tppOrgId: string; serialNumber: string }>();
  private readonly ledgers = new Map<string, AccountLedger>();
  private readonly counter = new AccessCounter();
  private readonly oauth: OAuthStore;
  private readonly changeListeners = new Set<() => void>();

  /** Rebuilds a bank from `snapshot()` output: same ids, statuses, expiry, tokens and ledgers. */
  static fromSnapshot(snapshot: BankStateSnapshot, opts: { clock: SandboxClock }): BankState {
    const state = new BankState({ bank: snapshot.bank, clock: opts.clock, seed: snapshot.seed });
    state.restore(snapshot);
    return state;
  }

  constructor(opts: { bank: SandboxBankId; clock: SandboxClock; settings?: Partial<SandboxSettings>; seed?: string }) {
    this.bank = opts.bank;
    this.clock = opts.clock;
    this.seed = opts.seed ?? 'sandbox';
    this.settings = { ...DEFAULT_SETTINGS, ...checkedSettings(opts.settings ?? {}) };
    this.psus = psusOf(opts.bank);
    this.oauth = new OAuthStore({
      clock: this.clock,
      accessTokenTtlMs: () => this.settings.accessTokenTtlMs,
      refreshTokenTtlMs: () => this.settings.refreshTokenTtlMs,
      consentIsValid: (consentId) => this.getConsent(consentId)?.status === 'valid',
    });
  }

  /** Throws FORMAT_ERROR (path = the setting) for an unknown setting or a value of the wrong kind. */
  updateSettings(patch: Partial<SandboxSettings>): void {
    this.settings = { ...this.settings, ...checkedSettings(patch) };
    this.changed();
  }

  // ---- persistence ----------------------------------------------------------------------------

  /**
   * Called after anything that a restart should keep may have changed (also after a refused
   * request that spent something, such as a code). Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Everything a restart must keep, as plain JSON. Ledgers are derived and not included. */
  snapshot(): BankStateSnapshot {
    return {
      version: BANK_STATE_SNAPSHOT_VERSION,
      bank: this.bank,
      seed: this.seed,
      settings: { ...this.settings },
      consents: [...this.consents.values()].map((record) => structuredClone(record)),
      payments: [...this.payments.values()].map((record) => ({ ...record })),
      enrolments: [...this.enrolments].map(([certificateSha256, enrolment]) => ({ certificateSha256, ...enrolment })),
      frequency: this.counter.snapshot(),
      oauth: this.oauth.snapshot(),
    };
  }

  /**
   * Replaces this bank's state with `snapshot` (from `snapshot()`, checked by
   * parseBankStateSnapshot when it came from disk). Throws SnapshotFormatError for another bank or
   * seed, whose resourceIds and ledgers would differ, leaving the state untouched.
   */
  restore(snapshot: BankStateSnapshot): void {
    if (snapshot.version !== BANK_STATE_SNAPSHOT_VERSION)
      throw new SnapshotFormatError(`snapshot version ${snapshot.version} is not ${BANK_STATE_SNAPSHOT_VERSION}`);
    if (snapshot.bank !== this.bank)
      throw new SnapshotFormatError(`snapshot is of bank ${snapshot.bank}, not ${this.bank}`);
    if (snapshot.seed !== this.seed) throw new SnapshotFormatError('snapshot was taken with another ledger seed');
    const settings = { ...DEFAULT_SETTINGS, ...checkedSettings(snapshot.settings) };
    this.settings = settings;
    this.consents.clear();
    this.payments.clear();
    this.enrolments.clear();
    this.ledgers.clear();
    for (const record of snapshot.consents) this.consents.set(record.consentId, structuredClone(record));
    for (const record of snapshot.payments) this.payments.set(record.paymentId, { ...record });
    for (const { certificateSha256, ...enrolment } of snapshot.enrolments)
      this.enrolments.set(certificateSha256, enrolment);
    this.counter.restore(snapshot.frequency);
    this.oauth.restore(snapshot.oauth);
    // Executed payments are the ledgers' only non-derived entries: book them again, in order.
    for (const record of this.payments.values()) {
      if (
        (record.status !== 'ACTC' && record.status !== 'ACSP' && record.status !== 'ACSC') ||
        record.decidedAt === undefined ||
        record.psuId === undefined
      )
        continue;
      const psu = this.psus.find((p) => p.id === record.psuId);
      const profile = psu?.accounts.find((a) => a.iban !== undefined && sameIban(a.iban, record.debtorIban));
      if (psu && profile) this.bookPayment(record, this.ledgerFor(psu, profile), dayOf(new Date(record.decidedAt)));
    }
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }

  testPsus(): TestPsu[] {
    return this.psus.map(({ id, name, bank }) => ({ id, name, bank }));
  }

  // ---- consents -------------------------------------------------------------------------------

  createConsent(input: ConsentInput): ConsentRecord {
    const now = this.clock.now();
    const today = dayOf(now);
    const requested = isoToDay(input.validUntil);
    if (requested === undefined)
      throw new SandboxStateError('FORMAT_ERROR', 'validUntil must be a date (YYYY-MM-DD)', 'validUntil');
    if (requested < today) throw new SandboxStateError('FORMAT_ERROR', 'validUntil lies in the past', 'validUntil');
    if (!Number.isInteger(input.frequencyPerDay) || input.frequencyPerDay < 1) {
      throw new SandboxStateError(
        'FORMAT_ERROR',
        'frequencyPerDay must be an integer of at least 1',
        'frequencyPerDay',
      );
    }
    const bad = invalidIbanIn(input.access);
    if (bad) {
      throw new SandboxStateError(
        'FORMAT_ERROR',
        `${bad.path} "${bad.iban.slice(0, 40)}" is not a valid IBAN (ISO 13616 mod-97 check digits)`,
        bad.path,
      );
    }
    const validUntil = dayToIso(Math.min(requested, today + MAX_CONSENT_DAYS[this.bank]));
    const record: ConsentRecord = {
      ...input,
      consentId: randomUUID(),
      bank: this.bank,
      status: 'received',
      validUntil,
      createdAt: now.toISOString(),
      lastActionDate: dayToIso(today),
    };
    this.consents.set(record.consentId, record);
    this.changed();
    return { ...record };
  }

  getConsent(consentId: string): ConsentRecord | undefined {
    const record = this.consents.get(consentId);
    if (!record) return undefined;
    this.expireIfDue(record);
    return { ...record };
  }

  decideConsent(consentId: string, psuId: string, decision: 'approve' | 'deny'): ConsentRecord {
    const record = this.requireConsent(consentId);
    this.requirePsu(psuId);
    if (record.status !== 'received') {
      throw new SandboxStateError('STATUS_INVALID', `consent is ${record.status}, not awaiting authorisation`);
    }
    record.psuId = psuId;
    this.setStatus(record, decision === 'approve' ? 'valid' : 'rejected');
    this.changed();
    return { ...record };
  }

  /** Ends a received or valid consent; a consent already ended keeps its status (a repeated DELETE is harmless). */
  revokeConsent(consentId: string, by: 'psu' | 'tpp'): ConsentRecord {
    const record = this.requireConsent(consentId);
    if (record.status === 'received' || record.status === 'valid') {
      this.setStatus(record, by === 'psu' ? 'revokedByPsu' : 'terminatedByTpp');
      this.changed();
    }
    return { ...record };
  }

  countAccess(consentId: string, endpoint: string, psuPresent: boolean): AccessCheck {
    const record = this.requireConsent(consentId);
    const check = this.counter.check(
      this.clock.now(),
      consentId,
      endpoint,
      record.frequencyPerDay,
      psuPresent,
      this.settings.enforceFrequencyPerDay,
    );
    if (!psuPresent) this.changed();
    return check;
  }

  // ---- account data ---------------------------------------------------------------------------

  accounts(consentId: string): SandboxAccount[] {
    const { psu, record } = this.validConsent(consentId);
    return psu.accounts
      .filter((profile) => grantsOf(record.access, profile) !== undefined)
      .map((p) => this.present(record, psu, p));
  }

  account(consentId: string, resourceId: string): SandboxAccount | undefined {
    return this.accounts(consentId).find((a) => a.resourceId === resourceId);
  }

  balances(consentId: string, resourceId: string): SandboxBalance[] {
    const { ledger } = this.covered(consentId, resourceId, 'balances');
    return ledger.balances(this.clock.now());
  }

  transactions(consentId: string, resourceId: string, query: TransactionQuery): SandboxTransaction[] {
    if (isoToDay(query.dateFrom) === undefined)
      throw new SandboxStateError('FORMAT_ERROR', 'dateFrom must be a date (YYYY-MM-DD)', 'dateFrom');
    if (query.dateTo !== undefined && isoToDay(query.dateTo) === undefined) {
      throw new SandboxStateError('FORMAT_ERROR', 'dateTo must be a date (YYYY-MM-DD)', 'dateTo');
    }
    const { ledger } = this.covered(consentId, resourceId, 'transactions');
    return ledger.transactions(this.clock.now(), query, this.settings.pendingToBooked);
  }

  // ---- OAuth (Enfuce) -------------------------------------------------------------------------

  issueClientToken(clientId: string): IssuedTokens {
    const tokens = this.oauth.issueClientToken(clientId);
    this.changed();
    return tokens;
  }

  issueAuthorisationCode(input: AuthorisationCodeRequest): string {
    const record = this.consents.get(input.consentId);
    if (!record) throw new SandboxStateError('invalid_request', 'unknown consent in scope');
    if (record.tppOrgId !== input.clientId)
      throw new SandboxStateError('invalid_request', 'the consent belongs to another client');
    this.requirePsu(input.psuId);
    const code = this.oauth.issueAuthorisationCode(input);
    this.changed();
    return code;
  }

  redeemAuthorisationCode(input: {
    clientId: string;
    code: string;
    codeVerifier: string;
    redirectUri: string;
  }): IssuedTokens {
    // A failed redemption still spends the code (or revokes its tokens on replay): save either way.
    try {
      return this.oauth.redeemAuthorisationCode(input);
    } finally {
      this.changed();
    }
  }

  refreshTokens(input: { clientId: string; refreshToken: string }): IssuedTokens {
    try {
      return this.oauth.refresh(input);
    } finally {
      this.changed();
    }
  }

  /** Admin: revoke or expire every live client-credentials token (see OAuthStore.endClientTokens). */
  endClientTokens(how: 'revoke' | 'expire'): number {
    const n = this.oauth.endClientTokens(how);
    this.changed();
    return n;
  }

  inspectAccessToken(token: string): TokenInfo | { error: 'TOKEN_INVALID' | 'TOKEN_EXPIRED' } {
    return this.oauth.inspectAccessToken(token);
  }

  // ---- BEC extras -----------------------------------------------------------------------------

  enrolCertificate(input: { tppOrgId: string; certificateDerBase64: string; serialNumber: string }): {
    enrolmentId: string;
    status: 'enrolled';
  } {
    const key = certificateKey(input.certificateDerBase64);
    if (!key) throw new SandboxStateError('FORMAT_ERROR', 'certificate must be base64 DER', 'certificate');
    const existing = this.enrolments.get(key);
    if (existing) return { enrolmentId: existing.enrolmentId, status: 'enrolled' };
    const enrolmentId = randomUUID();
    this.enrolments.set(key, { enrolmentId, tppOrgId: input.tppOrgId, serialNumber: input.serialNumber });
    this.changed();
    return { enrolmentId, status: 'enrolled' };
  }

  isEnrolled(certificateDerBase64: string): boolean {
    const key = certificateKey(certificateDerBase64);
    return key !== undefined && this.enrolments.has(key);
  }

  createPayment(input: PaymentInput): PaymentRecord {
    const minor = parseMinor(input.amount);
    if (minor === undefined || minor <= 0) {
      throw new SandboxStateError(
        'FORMAT_ERROR',
        'amount must be a positive decimal with at most 2 decimals',
        'instructedAmount.amount',
      );
    }
    if (!/^[A-Z]{3}$/.test(input.currency))
      throw new SandboxStateError('FORMAT_ERROR', 'currency must be an ISO 4217 code', 'instructedAmount.currency');
    if (!isValidIban(input.debtorIban))
      throw new SandboxStateError('FORMAT_ERROR', 'debtor IBAN is not valid', 'debtorAccount.iban');
    if (input.creditorIban !== undefined && !isValidIban(input.creditorIban)) {
      throw new SandboxStateError('FORMAT_ERROR', 'creditor IBAN is not valid', 'creditorAccount.iban');
    }
    const record: PaymentRecord = {
      ...input,
      paymentId: randomUUID(),
      status: 'RCVD',
      createdAt: this.clock.now().toISOString(),
    };
    this.payments.set(record.paymentId, record);
    this.changed();
    return { ...record };
  }

  decidePayment(paymentId: string, psuId: string, decision: 'approve' | 'deny'): PaymentRecord {
    const record = this.payments.get(paymentId);
    if (!record) throw new SandboxStateError('RESOURCE_UNKNOWN', 'unknown payment');
    const psu = this.requirePsu(psuId);
    if (record.status !== 'RCVD')
      throw new SandboxStateError('STATUS_INVALID', `payment is ${record.status}, not awaiting authorisation`);
    const now = this.clock.now();
    record.psuId = psuId;
    record.decidedAt = now.getTime();
    if (decision === 'deny') return this.settlePayment(record, 'RJCT', 'the PSU cancelled the authorisation');
    const profile = psu.accounts.find((a) => a.iban !== undefined && sameIban(a.iban, record.debtorIban));
    if (!profile) return this.settlePayment(record, 'RJCT', 'the debtor account is not the PSU’s');
    if (profile.currency !== record.currency)
      return this.settlePayment(record, 'RJCT', 'currency differs from the debtor account');
    const ledger = this.ledgerFor(psu, profile);
    if (parseMinor(record.amount)! > ledger.availableMinor(now))
      return this.settlePayment(record, 'RJCT', 'insufficient funds');
    // The amount leaves the account at once, so balances and the transaction list show it.
    this.bookPayment(record, ledger, dayOf(now));
    return this.settlePayment(record, approvedStatus(record.product), undefined);
  }

  /**
   * The TPP deletes the payment: allowed while it awaits the PSU's authorisation (then CANC), refused
   * once the PSU has decided, as BEC does (405 CANCELLATION_INVALID).
   */
  cancelPayment(paymentId: string): PaymentRecord {
    const record = this.payments.get(paymentId);
    if (!record) throw new SandboxStateError('RESOURCE_UNKNOWN', 'unknown payment');
    if (record.status !== 'RCVD') {
      throw new SandboxStateError(
        'CANCELLATION_INVALID',
        `the payment is ${this.getPayment(paymentId)!.status}; it can be cancelled only before the PSU's authorisation`,
      );
    }
    record.status = 'CANC';
    record.statusReason = 'cancelled by the TPP';
    this.changed();
    return publicPayment(record);
  }

  getPayment(paymentId: string): PaymentRecord | undefined {
    const record = this.payments.get(paymentId);
    if (!record) return undefined;
    const settlesAfter =
      record.status === 'ACTC'
        ? SETTLEMENT_DELAY_MS
        : record.status === 'ACSP'
          ? CROSS_BORDER_SETTLEMENT_DELAY_MS
          : undefined;
    if (
      settlesAfter !== undefined &&
      record.decidedAt !== undefined &&
      this.clock.now().getTime() >= record.decidedAt + settlesAfter
    ) {
      record.status = 'ACSC';
    }
    return publicPayment(record);
  }

  confirmFunds(input: { iban?: string; maskedPan?: string; amount: string; currency: string }): boolean | undefined {
    const minor = parseMinor(input.amount);
    if (minor === undefined)
      throw new SandboxStateError('FORMAT_ERROR', 'amount is not a valid decimal', 'instructedAmount.amount');
    for (const psu of this.psus) {
      for (const profile of psu.accounts) {
        const matches =
          (input.iban !== undefined && profile.iban !== undefined && sameIban(profile.iban, input.iban)) ||
          (input.maskedPan !== undefined &&
            profile.maskedPan !== undefined &&
            samePan(profile.maskedPan, input.maskedPan));
        if (!matches) continue;
        if (profile.currency !== input.currency) return false;
        return minor <= this.ledgerFor(psu, profile).availableMinor(this.clock.now());
      }
    }
    return undefined;
  }

  // ---- internals ------------------------------------------------------------------------------

  private requireConsent(consentId: string): ConsentRecord {
    const record = this.consents.get(consentId);
    if (!record) throw new SandboxStateError('CONSENT_UNKNOWN', 'unknown consent');
    this.expireIfDue(record);
    return record;
  }

  private requirePsu(psuId: string): PsuProfile {
    const psu = this.psus.find((p) => p.id === psuId);
    if (!psu) throw new SandboxStateError('PSU_CREDENTIALS_INVALID', 'unknown PSU at this bank');
    return psu;
  }

  /** validUntil is inclusive: a consent valid until 2026-05-01 works all of that day (UTC). */
  private expireIfDue(record: ConsentRecord): void {
    if (record.status !== 'valid') return;
    const until = isoToDay(record.validUntil)!;
    if (dayOf(this.clock.now()) > until) {
      record.status = 'expired';
      record.lastActionDate = dayToIso(until + 1);
    }
  }

  private setStatus(record: ConsentRecord, status: ConsentRecord['status']): void {
    record.status = status;
    record.lastActionDate = dayToIso(dayOf(this.clock.now()));
  }

  private validConsent(consentId: string): { record: ConsentRecord; psu: PsuProfile } {
    const record = this.requireConsent(consentId);
    if (record.status === 'expired') throw new SandboxStateError('CONSENT_EXPIRED', 'the consent has expired');
    if (record.status !== 'valid') throw new SandboxStateError('CONSENT_INVALID', `the consent is ${record.status}`);
    const psu = this.psus.find((p) => p.id === record.psuId);
    if (!psu) throw new SandboxStateError('CONSENT_INVALID', 'the consent has no PSU');
    return { record, psu };
  }

  private covered(consentId: string, resourceId: string, service: keyof Grants): { ledger: AccountLedger } {
    const { record, psu } = this.validConsent(consentId);
    for (const profile of psu.accounts) {
      if (this.resourceIdOf(record, psu, profile) !== resourceId) continue;
      const grants = grantsOf(record.access, profile);
      if (!grants) break;
      if (!grants[service])
        throw new SandboxStateError('CONSENT_INVALID', `the consent does not cover ${service} of this account`);
      return { ledger: this.ledgerFor(psu, profile) };
    }
    throw new SandboxStateError('RESOURCE_UNKNOWN', 'unknown account');
  }

  private resourceIdOf(record: ConsentRecord, psu: PsuProfile, profile: AccountProfile): string {
    const basis = this.settings.resourceIdsPerConsent
      ? `${this.seed}|${this.bank}|consent|${record.consentId}|${profile.key}`
      : `${this.seed}|${this.bank}|${psu.id}|${profile.key}`;
    return uuidShaped(stableHex(`resource|${basis}`, 32));
  }

  private present(record: ConsentRecord, psu: PsuProfile, profile: AccountProfile): SandboxAccount {
    const account: SandboxAccount = {
      resourceId: this.resourceIdOf(record, psu, profile),
      kind: profile.kind,
      currency: profile.currency,
      name: profile.name,
      product: profile.product,
      ownerName: psu.name,
      status: 'enabled',
    };
    if (profile.iban) account.iban = profile.iban;
    if (profile.bban) account.bban = profile.bban;
    if (profile.maskedPan) account.maskedPan = profile.maskedPan;
    if (profile.cashAccountType) account.cashAccountType = profile.cashAccountType;
    if (profile.creditLimitMinor !== undefined) {
      account.creditLimit = { amount: (profile.creditLimitMinor / 100).toFixed(2), currency: profile.currency };
    }
    return account;
  }

  private ledgerFor(psu: PsuProfile, profile: AccountProfile): AccountLedger {
    const key = `${psu.id}|${profile.key}`;
    let ledger = this.ledgers.get(key);
    if (!ledger) {
      ledger = new AccountLedger(`${this.seed}|${this.bank}|${psu.id}|${profile.key}`, profile);
      this.ledgers.set(key, ledger);
    }
    return ledger;
  }

  private settlePayment(
    record: PaymentRecord,
    status: 'ACTC' | 'ACSP' | 'ACSC' | 'RJCT',
    reason: string | undefined,
  ): PaymentRecord {
    record.status = status;
    record.statusReason = reason;
    this.changed();
    return publicPayment(record);
  }

  /** The executed payment's booking: the same at approval and when a restore books it again. */
  private bookPayment(record: PaymentRecord, ledger: AccountLedger, day: number): void {
    ledger.addBooking({
      transactionId: `PMT${record.paymentId.replace(/-/g, '')}`,
      day,
      amountMinor: -parseMinor(record.amount)!,
      creditorName: record.creditorName,
      remittance: `Overførsel til ${record.creditorName}`.slice(0, 140),
    });
  }
}

const POSITIVE_NUMBER_SETTINGS = ['accessTokenTtlMs', 'refreshTokenTtlMs'] as const;
const BOOLEAN_SETTINGS = ['resourceIdsPerConsent', 'enforceFrequencyPerDay'] as const;

/** Settings arrive from the admin API as JSON: reject what would break the bank later. */
function checkedSettings(patch: Partial<SandboxSettings>): Partial<SandboxSettings> {
  const out: Partial<SandboxSettings> = {};
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value === undefined) continue;
    if (key === 'pendingToBooked') {
      if (value !== 'same-id' && value !== 'new-id')
        throw new SandboxStateError('FORMAT_ERROR', 'pendingToBooked must be same-id or new-id', key);
    } else if ((POSITIVE_NUMBER_SETTINGS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
        throw new SandboxStateError('FORMAT_ERROR', `${key} must be a positive number`, key);
    } else if (key === 'transactionsPageSize') {
      if (!Number.isSafeInteger(value) || (value as number) < 1)
        throw new SandboxStateError('FORMAT_ERROR', `${key} must be a positive integer`, key);
    } else if ((BOOLEAN_SETTINGS as readonly string[]).includes(key)) {
      if (typeof value !== 'boolean') throw new SandboxStateError('FORMAT_ERROR', `${key} must be a boolean`, key);
    } else {
      throw new SandboxStateError('FORMAT_ERROR', `unknown setting ${key}`, key);
    }
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

function publicPayment(record: PaymentRecord & { decidedAt?: number }): PaymentRecord {
  const { decidedAt: _decidedAt, ...rest } = record;
  if (rest.statusReason === undefined) delete rest.statusReason;
  return rest;
}

/**
 * Which services a consent's access object grants on an account, or undefined when the account is
 * outside the consent. The same reading as the HTTP layer's check (sandbox/ais.ts), so the state
 * never refuses what the API allowed: allPsd2 covers everything; availableAccounts the list only
 * (availableAccountsWithBalance adds balances); explicit lists cover the accounts they name, per
 * service; lists that are all empty are a bank-offered consent (the sandbox PSU grants every
 * account for the services whose list is present).
 */
function grantsOf(access: unknown, profile: AccountProfile): Grants | undefined {
  if (!access || typeof access !== 'object') return undefined;
  const a = access as {
    accounts?: AccountRef[];
    balances?: AccountRef[];
    transactions?: AccountRef[];
    allPsd2?: string;
    availableAccounts?: string;
    availableAccountsWithBalance?: string;
  };
  if (a.allPsd2) return { balances: true, transactions: true };
  const lists = [a.accounts, a.balances, a.transactions].map((list) => (Array.isArray(list) ? list : undefined));
  const [accounts, balances, transactions] = lists;
  const withBalance = Boolean(a.availableAccountsWithBalance);
  const bankOffered =
    lists.some((list) => list !== undefined) && lists.every((list) => list === undefined || list.length === 0);
  if (bankOffered) return { balances: balances !== undefined || withBalance, transactions: transactions !== undefined };
  const named = (list: AccountRef[] | undefined) => Boolean(list?.some((ref) => refersTo(ref, profile)));
  const grants = { balances: named(balances) || withBalance, transactions: named(transactions) };
  const listed =
    named(accounts) || grants.balances || grants.transactions || Boolean(a.availableAccounts) || withBalance;
  return listed ? grants : undefined;
}

function refersTo(ref: AccountRef, profile: AccountProfile): boolean {
  if (ref.iban !== undefined) return profile.iban !== undefined && sameIban(ref.iban, profile.iban);
  if (ref.maskedPan !== undefined) return profile.maskedPan !== undefined && samePan(ref.maskedPan, profile.maskedPan);
  if (ref.bban !== undefined) return profile.bban !== undefined && ref.bban.replace(/\s+/g, '') === profile.bban;
  return false;
}

/** The path of the first account reference in a consent's access whose IBAN fails the mod-97 check, as payments are checked. */
function invalidIbanIn(access: unknown): { path: string; iban: string } | undefined {
  if (!access || typeof access !== 'object') return undefined;
  for (const [list, refs] of Object.entries(access as Record<string, unknown>)) {
    if (!Array.isArray(refs)) continue;
    for (const [i, ref] of refs.entries()) {
      const iban = (ref as { iban?: unknown } | null)?.iban;
      if (typeof iban === 'string' && !isValidIban(iban)) return { path: `access.${list}[${i}].iban`, iban };
    }
  }
  return undefined;
}

function sameIban(a: string, b: string): boolean {
  return a.replace(/\s+/g, '').toUpperCase() === b.replace(/\s+/g, '').toUpperCase();
}

/** Masked PANs are written many ways ("5243 78** **** 8693", "524378******8693"): compare BIN and last four. */
function samePan(a: string, b: string): boolean {
  const compact = (pan: string) => pan.replace(/\s+/g, '');
  const x = compact(a);
  const y = compact(b);
  return x.length === y.length && x.slice(0, 6) === y.slice(0, 6) && x.slice(-4) === y.slice(-4);
}

function uuidShaped(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Enrolments are keyed by the certificate's SHA-256, whatever whitespace or PEM armour it came in. */
function certificateKey(certificate: string): string | undefined {
  const base64 = certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  return createHash('sha256').update(Buffer.from(base64, 'base64')).digest('hex');
}
