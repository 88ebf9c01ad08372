import { Xs2aError } from '../errors';
import { buildAuthorisationUrl, type AuthorisationUrlInput } from '../oauth/authorisation-url';
import { TokenClient } from '../oauth/token-client';
import type { BankProfile } from '../profiles/types';
import type { Xs2aRequest, Xs2aTransport } from '../transport/types';
import { resolveUrl } from '../transport/url';
import { toAccount, toBalance, toCardAccount, toCardTransaction, toTransaction } from './normalise';
import {
  accountListSchema,
  accountReportSchema,
  balancesSchema,
  cardAccountListSchema,
  cardAccountReportSchema,
  consentCreatedSchema,
  consentDetailsSchema,
  consentStatusResponseSchema,
  enrolmentResponseSchema,
  fundsConfirmationSchema,
  paymentInitiationSchema,
  paymentCancelSchema,
  paymentStatusSchema,
} from './schemas';
import {
  checkPaymentInitiation,
  type JsonPaymentProduct,
  type PaymentInitiationJson,
  type TransactionStatus,
} from './payments';
import type {
  Account,
  AisContext,
  Amount,
  Balance,
  ConsentCreated,
  ConsentDetails,
  ConsentStatus,
  CreateConsentInput,
  PaymentInitiation,
  Transaction,
  TransactionPage,
} from './types';

export interface Xs2aClientOptions {
  profile: BankProfile;
  transport: Xs2aTransport;
  /** Epoch milliseconds; injectable for token expiry in tests. */
  now?: () => number;
}

export interface CreateConsentContext {
  /** Mandatory on POST /consents in 1.3.12. */
  psuIpAddress: string;
  /** OAuth2 banks: the TPP's client-credentials token. */
  accessToken?: string;
  /** Redirect banks: where the PSU comes back after SCA. */
  redirectUri?: string;
  nokRedirectUri?: string;
  psuId?: string;
  /** Cancels the call (e.g. Temporal's activity cancellation); passed to the transport request. */
  signal?: AbortSignal;
}

/** Consent resource calls: OAuth2 banks want the client-credentials token here too. */
export interface ConsentRequestContext {
  accessToken?: string;
  psuIpAddress?: string;
  /** Cancels the call (e.g. Temporal's activity cancellation); passed to the transport request. */
  signal?: AbortSignal;
}

export interface TransactionQuery {
  bookingStatus: 'booked' | 'pending' | 'both';
  /** ISO date, YYYY-MM-DD. */
  dateFrom: string;
  dateTo?: string;
}

export interface PaymentContext {
  /** Mandatory on payment initiation in 1.3.12. */
  psuIpAddress: string;
  redirectUri: string;
  nokRedirectUri: string;
  psuId?: string;
  /** OAuth2 banks: the TPP's token. */
  accessToken?: string;
  /** The X-Request-ID to use (stored before sending, reused when that very request is retried). */
  requestId?: string;
  signal?: AbortSignal;
}

/** Reads and cancellation of a payment resource. */
export interface PaymentRequestContext {
  accessToken?: string;
  psuIpAddress?: string;
  signal?: AbortSignal;
}

export interface PaymentStatusInfo {
  transactionStatus: TransactionStatus | (string & {});
  fundsAvailable?: boolean;
}

export interface PaymentCancellation {
  /** 204: the payment is cancelled (CANC). */
  cancelled: boolean;
  /** 202: the PSU must authorise the cancellation first. */
  authorisationRequired: boolean;
  transactionStatus?: string;
}

export interface FundsConfirmationInput {
  account: { iban: string };
  instructedAmount: Amount;
  cardNumber?: string;
  payee?: string;
}

export interface EnrolmentResult {
  enrolmentId: string;
  status: string;
}

/**
 * The Berlin Group operations for one bank. The profile says where and how (paths,
 * SCA approach, account kind); the transport does mTLS, signing, error mapping and
 * the frequencyPerDay count, so this class only shapes requests and reads answers.
 */
export class Xs2aClient {
  readonly profile: BankProfile;
  private readonly transport: Xs2aTransport;
  private readonly now: () => number;
  private tokenClient?: TokenClient;

  constructor(opts: Xs2aClientOptions) {
    this.profile = opts.profile;
    this.transport = opts.transport;
    this.now = opts.now ?? Date.now;
  }

  // ---------------------------------------------------------------- OAuth2

  tokens(): TokenClient {
    this.tokenClient ??= new TokenClient(this.transport, this.profile, this.now);
    return this.tokenClient;
  }

  authorisationUrl(input: AuthorisationUrlInput): string {
    if (this.profile.scaApproach !== 'oauth2-integrated') {
      throw this.configuration(
        `uses the ${this.profile.scaApproach} SCA approach: there is no OAuth authorisation URL, follow the consent's scaRedirect link`,
      );
    }
    return buildAuthorisationUrl(this.profile, input);
  }

  // -------------------------------------------------------------- consents

  async createConsent(input: CreateConsentInput, ctx: CreateConsentContext): Promise<ConsentCreated> {
    const operation = `POST ${this.profile.paths.consents}`;
    const headers: Record<string, string> = { ...this.consentAuthHeaders(), ...this.psuIdHeader(ctx.psuId) };
    if (this.profile.scaApproach === 'redirect') {
      if (!ctx.redirectUri) throw this.configuration(`${operation} needs a redirectUri (redirect SCA approach)`);
      Object.assign(headers, this.redirectHeaders(ctx.redirectUri, ctx.nokRedirectUri));
    } else if (!ctx.accessToken) {
      throw this.configuration(`${operation} needs the client-credentials access token (OAuth2 integrated approach)`);
    }
    const res = await this.send({
      method: 'POST',
      path: this.profile.paths.consents,
      operation,
      headers,
      json: {
        access: input.access,
        recurringIndicator: input.recurringIndicator,
        validUntil: input.validUntil,
        frequencyPerDay: input.frequencyPerDay,
        combinedServiceIndicator: input.combinedServiceIndicator,
      },
      psuIpAddress: ctx.psuIpAddress,
      accessToken: ctx.accessToken,
      ...signalOf(ctx),
      schema: consentCreatedSchema,
    });
    const scaRedirect = res.data._links?.scaRedirect?.href;
    if (this.profile.scaApproach === 'redirect' && !scaRedirect && res.data.consentStatus === 'received') {
      // Without the link the PSU has nowhere to authorise: fail here, not in the browser.
      throw new Xs2aError(`${this.profile.id} ${operation}: response lacks _links.scaRedirect.href`, {
        kind: 'invalid_response',
        field: '_links.scaRedirect.href',
        status: res.status,
        requestId: res.requestId,
        operation,
        aspsp: this.profile.id,
      });
    }
    return {
      consentId: res.data.consentId,
      consentStatus: res.data.consentStatus,
      ...(scaRedirect ? { scaRedirect } : {}),
    };
  }

  async getConsent(consentId: string, ctx: ConsentRequestContext = {}): Promise<ConsentDetails> {
    const res = await this.send({
      method: 'GET',
      path: `${this.profile.paths.consents}/${encodeURIComponent(consentId)}`,
      operation: `GET ${this.profile.paths.consents}/{consentId}`,
      headers: this.consentAuthHeaders(),
      accessToken: ctx.accessToken,
      psuIpAddress: ctx.psuIpAddress,
      ...signalOf(ctx),
      schema: consentDetailsSchema,
    });
    const d = res.data;
    return {
      consentId,
      consentStatus: d.consentStatus,
      validUntil: d.validUntil,
      frequencyPerDay: d.frequencyPerDay,
      recurringIndicator: d.recurringIndicator,
      ...(d.lastActionDate !== undefined ? { lastActionDate: d.lastActionDate } : {}),
      access: d.access as ConsentDetails['access'],
    };
  }

  async getConsentStatus(consentId: string, ctx: ConsentRequestContext = {}): Promise<ConsentStatus> {
    const res = await this.send({
      method: 'GET',
      path: `${this.profile.paths.consents}/${encodeURIComponent(consentId)}/status`,
      operation: `GET ${this.profile.paths.consents}/{consentId}/status`,
      headers: this.consentAuthHeaders(),
      accessToken: ctx.accessToken,
      psuIpAddress: ctx.psuIpAddress,
      ...signalOf(ctx),
      schema: consentStatusResponseSchema,
    });
    return res.data.consentStatus;
  }

  /**
   * Ends the consent at the bank. "Already gone" counts as done: deletion is retried
   * by durable workflows, so a retry after a lost 204 (or a consent the bank already
   * purged) must not turn into a failure that would block the disconnect forever.
   * Any other refusal (signature, certificate, 5xx...) is still an error.
   */
  async deleteConsent(consentId: string, ctx: ConsentRequestContext = {}): Promise<void> {
    try {
      await this.send({
        method: 'DELETE',
        path: `${this.profile.paths.consents}/${encodeURIComponent(consentId)}`,
        operation: `DELETE ${this.profile.paths.consents}/{consentId}`,
        headers: this.consentAuthHeaders(),
        accessToken: ctx.accessToken,
        psuIpAddress: ctx.psuIpAddress,
        ...signalOf(ctx),
      });
    } catch (err) {
      if (err instanceof Xs2aError && (err.status === 404 || err.codes.includes('CONSENT_UNKNOWN'))) return;
      throw err;
    }
  }

  // ------------------------------------------------------------------- AIS

  async listAccounts(ctx: AisContext & { withBalance?: boolean }): Promise<Account[]> {
    const path = this.profile.paths.accounts;
    // Berlin Group's card-accounts list has no withBalance parameter; strict banks refuse it.
    const withBalance = ctx.withBalance && this.profile.paths.accountKind === 'accounts';
    const base = {
      method: 'GET' as const,
      path,
      operation: `GET ${path}`,
      query: withBalance ? { withBalance: true } : undefined,
      ...this.aisRequestFields(ctx, 'accounts'),
    };
    if (this.profile.paths.accountKind === 'card-accounts') {
      const res = await this.send({ ...base, schema: cardAccountListSchema });
      return res.data.cardAccounts.map(toCardAccount);
    }
    const res = await this.send({ ...base, schema: accountListSchema });
    return res.data.accounts.map(toAccount);
  }

  async getBalances(resourceId: string, ctx: AisContext): Promise<Balance[]> {
    const res = await this.send({
      method: 'GET',
      path: `${this.accountPath(resourceId)}/balances`,
      operation: `GET ${this.profile.paths.accounts}/{account-id}/balances`,
      ...this.aisRequestFields(ctx, `balances:${resourceId}`),
      schema: balancesSchema,
    });
    return res.data.balances.map(toBalance);
  }

  /**
   * Every page of the account report, in order. Only the first request counts as an
   * unattended access: the bank's next links continue the same read. Each page's
   * `next` is the absolute URL of the following page.
   */
  async *listTransactions(
    resourceId: string,
    query: TransactionQuery,
    ctx: AisContext,
  ): AsyncGenerator<TransactionPage> {
    const operation = `GET ${this.profile.paths.accounts}/{account-id}/transactions`;
    const card = this.profile.paths.accountKind === 'card-accounts';
    const nextField = `${card ? 'cardTransactions' : 'transactions'}._links.next.href`;
    // A bank that links back to a page it already served would otherwise page forever.
    const seen = new Set<string>();
    let request: Xs2aRequest<unknown> = {
      method: 'GET',
      path: `${this.accountPath(resourceId)}/transactions`,
      query: { bookingStatus: query.bookingStatus, dateFrom: query.dateFrom, dateTo: query.dateTo },
      operation,
      ...this.aisRequestFields(ctx, `transactions:${resourceId}`),
    };
    const describe = this.profile.hooks?.transactionDescription;
    for (let pageNumber = 1; ; pageNumber++) {
      let transactions: Transaction[];
      let nextHref: string | undefined;
      if (card) {
        const res = await this.send({ ...request, schema: cardAccountReportSchema });
        const report = res.data.cardTransactions;
        transactions = [
          ...(report.booked ?? []).map((t) => toCardTransaction(t, 'booked')),
          ...(report.pending ?? []).map((t) => toCardTransaction(t, 'pending')),
        ];
        nextHref = report._links?.next?.href;
      } else {
        const res = await this.send({ ...request, schema: accountReportSchema });
        const report = res.data.transactions;
        transactions = [
          ...(report.booked ?? []).map((t) => toTransaction(t, 'booked', describe)),
          ...(report.pending ?? []).map((t) => toTransaction(t, 'pending', describe)),
        ];
        nextHref = report._links?.next?.href;
      }
      const next = nextHref === undefined ? undefined : this.resolveNextLink(nextHref, operation, nextField);
      if (next !== undefined) {
        if (seen.has(next)) {
          throw this.invalidResponse(operation, nextField, 'next link repeats an earlier page');
        }
        seen.add(next);
      }
      yield { transactions, pageNumber, ...(next !== undefined ? { next } : {}) };
      if (next === undefined) return;
      request = {
        method: 'GET',
        path: next,
        operation,
        consentId: ctx.consentId,
        accessToken: ctx.accessToken,
        psuIpAddress: ctx.psuIpAddress,
        ...signalOf(ctx),
      };
    }
  }

  // ------------------------------------------------------------ PIS / PIIS

  /**
   * POST /v1/payments/{payment-product} with the product's `paymentInitiation_json` body, checked
   * against the product's schema before it goes out. `requestId` resends that very request under
   * the X-Request-ID stored before the first try.
   */
  async initiatePayment(
    product: JsonPaymentProduct,
    body: PaymentInitiationJson,
    ctx: PaymentContext,
  ): Promise<PaymentInitiation> {
    const payments = this.requirePath('payments');
    const operation = `POST ${payments}/{payment-product}`;
    const problem = checkPaymentInitiation(product, body);
    if (problem) {
      throw new Xs2aError(`${this.profile.id} ${operation}: ${problem.field}: ${problem.message}`, {
        kind: 'bad_request',
        field: problem.field,
        operation,
        aspsp: this.profile.id,
      });
    }
    const res = await this.send({
      method: 'POST',
      path: `${payments}/${encodeURIComponent(product)}`,
      operation,
      headers: { ...this.redirectHeaders(ctx.redirectUri, ctx.nokRedirectUri), ...this.psuIdHeader(ctx.psuId) },
      json: body,
      psuIpAddress: ctx.psuIpAddress,
      accessToken: ctx.accessToken,
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
      ...signalOf(ctx),
      schema: paymentInitiationSchema,
    });
    const scaRedirect = res.data._links?.scaRedirect?.href;
    return {
      paymentId: res.data.paymentId,
      transactionStatus: res.data.transactionStatus,
      requestId: res.requestId,
      ...(scaRedirect ? { scaRedirect } : {}),
    };
  }

  /** GET /v1/payments/{payment-product}/{paymentId}/status: the bank's ISO 20022 code. */
  async getPaymentStatus(
    product: JsonPaymentProduct,
    paymentId: string,
    ctx: PaymentRequestContext = {},
  ): Promise<PaymentStatusInfo> {
    const payments = this.requirePath('payments');
    const res = await this.send({
      method: 'GET',
      path: `${payments}/${encodeURIComponent(product)}/${encodeURIComponent(paymentId)}/status`,
      operation: `GET ${payments}/{payment-product}/{paymentId}/status`,
      accessToken: ctx.accessToken,
      psuIpAddress: ctx.psuIpAddress,
      ...signalOf(ctx),
      schema: paymentStatusSchema,
    });
    return {
      transactionStatus: res.data.transactionStatus,
      ...(res.data.fundsAvailable !== undefined ? { fundsAvailable: res.data.fundsAvailable } : {}),
    };
  }

  /**
   * DELETE /v1/payments/{payment-product}/{paymentId}: 204 when the bank cancelled it outright,
   * 202 when the cancellation itself needs the PSU's authorisation (not used by BEC). A bank
   * that no longer allows it answers 405 CANCELLATION_INVALID (an Xs2aError 'bad_request').
   */
  async cancelPayment(
    product: JsonPaymentProduct,
    paymentId: string,
    ctx: PaymentRequestContext = {},
  ): Promise<PaymentCancellation> {
    const payments = this.requirePath('payments');
    const res = await this.send({
      method: 'DELETE',
      path: `${payments}/${encodeURIComponent(product)}/${encodeURIComponent(paymentId)}`,
      operation: `DELETE ${payments}/{payment-product}/{paymentId}`,
      accessToken: ctx.accessToken,
      psuIpAddress: ctx.psuIpAddress,
      ...signalOf(ctx),
    });
    if (res.status === 202) {
      const body = paymentCancelSchema.safeParse(res.data);
      return {
        cancelled: false,
        authorisationRequired: true,
        ...(body.success ? { transactionStatus: body.data.transactionStatus } : {}),
      };
    }
    return { cancelled: true, authorisationRequired: false, transactionStatus: 'CANC' };
  }

  async confirmFunds(input: FundsConfirmationInput): Promise<boolean> {
    const path = this.requirePath('fundsConfirmations');
    const res = await this.send({
      method: 'POST',
      path,
      operation: `POST ${path}`,
      json: {
        ...(input.cardNumber !== undefined ? { cardNumber: input.cardNumber } : {}),
        account: { iban: input.account.iban },
        ...(input.payee !== undefined ? { payee: input.payee } : {}),
        instructedAmount: { currency: input.instructedAmount.currency, amount: input.instructedAmount.amount },
      },
      schema: fundsConfirmationSchema,
    });
    return res.data.fundsAvailable;
  }

  /**
   * BEC: registers our QSEAL so the bank accepts it in TPP-Signature-Certificate.
   * A normal signed request, signed with the very certificate being enrolled.
   */
  async enrolSignatureCertificate(certificateDerBase64: string): Promise<EnrolmentResult> {
    const path = this.requirePath('enrolment');
    const res = await this.send({
      method: 'POST',
      path,
      operation: `POST ${path}`,
      json: { signatureCertificate: certificateDerBase64 },
      schema: enrolmentResponseSchema,
    });
    return { enrolmentId: res.data.enrolmentId, status: (res.data.status ?? res.data.enrolmentStatus) as string };
  }

  // --------------------------------------------------------------- helpers

  /** The transport adds the profile's extraHeaders hook, so every call (token calls too) gets it once. */
  private send<T>(req: Xs2aRequest<T>) {
    return this.transport.request<T>(req);
  }

  /** Consent-ID, the PSU's token, and either the PSU's IP or the unattended count. */
  private aisRequestFields(
    ctx: AisContext,
    endpoint: string,
  ): Pick<Xs2aRequest, 'consentId' | 'accessToken' | 'psuIpAddress' | 'unattended' | 'signal'> {
    return {
      consentId: ctx.consentId,
      ...signalOf(ctx),
      ...(ctx.accessToken !== undefined ? { accessToken: ctx.accessToken } : {}),
      ...(ctx.psuIpAddress
        ? { psuIpAddress: ctx.psuIpAddress }
        : {
            unattended: {
              consentId: ctx.consentId,
              endpoint,
              frequencyPerDay: ctx.frequencyPerDay ?? this.profile.consent.defaultFrequencyPerDay,
            },
          }),
    };
  }

  private accountPath(resourceId: string): string {
    return `${this.profile.paths.accounts}/${encodeURIComponent(resourceId)}`;
  }

  /** Enfuce wants its API key on the consent endpoints. */
  private consentAuthHeaders(): Record<string, string> {
    const apiKey = this.profile.oauth?.apiKey;
    return apiKey ? { 'X-API-Key': apiKey } : {};
  }

  private redirectHeaders(redirectUri: string, nokRedirectUri?: string): Record<string, string> {
    return {
      'TPP-Redirect-Preferred': 'true',
      'TPP-Redirect-URI': redirectUri,
      ...(nokRedirectUri ? { 'TPP-Nok-Redirect-URI': nokRedirectUri } : {}),
    };
  }

  private psuIdHeader(psuId?: string): Record<string, string> {
    return psuId ? { 'PSU-ID': psuId } : {};
  }

  /**
   * Next links come in three forms: absolute, host-relative ("/psd2/0400/v1/accounts/…",
   * which already carries the base path) and API-relative ("/v1/accounts/…", as in the
   * Berlin Group examples and our sandbox). resolveUrl tells the relative two apart the
   * same way the transport does. Anything off the bank's origin is refused: following
   * it would send our signed request, the Consent-ID and the PSU's token elsewhere.
   */
  private resolveNextLink(href: string, operation: string, field: string): string {
    const origin = new URL(this.profile.baseUrl).origin;
    let resolved: URL;
    try {
      resolved = new URL(resolveUrl(this.profile.baseUrl, href));
    } catch {
      throw this.invalidResponse(operation, field, 'next link is not a URL');
    }
    if (resolved.origin !== origin) {
      throw this.invalidResponse(operation, field, `next link leaves the bank's origin (${resolved.origin})`);
    }
    return resolved.toString();
  }

  private requirePath(name: 'payments' | 'fundsConfirmations' | 'enrolment'): string {
    const path = this.profile.paths[name];
    if (!path) throw this.configuration(`has no ${name} endpoint`);
    return path;
  }

  private configuration(message: string): Xs2aError {
    return new Xs2aError(`Bank profile ${this.profile.id} ${message}`, {
      kind: 'configuration',
      aspsp: this.profile.id,
    });
  }

  private invalidResponse(operation: string, field: string, message: string): Xs2aError {
    return new Xs2aError(`${this.profile.id} ${operation}: ${message}`, {
      kind: 'invalid_response',
      field,
      operation,
      aspsp: this.profile.id,
    });
  }
}

/** The caller's AbortSignal as a request field; absent when none was given. */
function signalOf(ctx: { signal?: AbortSignal }): Pick<Xs2aRequest, 'signal'> {
  return ctx.signal ? { signal: ctx.signal } : {};
}
