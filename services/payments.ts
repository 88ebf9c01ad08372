import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { BankProfiles } from '../banks/directory';
import type { Repositories } from '../repositories';
import type { PaymentRecord } from '../repositories/payments';
import { AspspKey, CustomerIdKey, PaymentIdKey, PaymentStatusKey } from '../temporal/search-attributes';
import { ibanChecksumValid } from '../xs2a/operations/payments';
import { psuIpForBank } from '../banks/psu-ip';
import type { Notice } from './notices';
import {
  FINAL_PAYMENT_STATUSES,
  PaymentFailure,
  paymentWorkflowId,
  type CancelResult,
  type PaymentProduct,
  type PaymentStatus,
} from '../workflows/payment/contract';
import {
  cancelPaymentUpdate,
  paymentAuthorisationUrlUpdate,
  paymentPsuCallbackSignal,
} from '../workflows/payment/messages';
import { paymentWorkflow } from '../workflows/payment/workflow';
import { fundsConfirmationWorkflow } from '../workflows/funds-confirmation/workflow';
import { FUNDS_CONFIRMATION_REFUSED, fundsConfirmationWorkflowId } from '../workflows/funds-confirmation/contract';
import { productRedirect, type ScaSubjectHandler } from './sca-sessions';

export interface PaymentServiceDeps {
  temporal: Client;
  taskQueue: string;
  banks: BankProfiles;
  now?: () => number;
  repositories: Pick<Repositories, 'payments'>;
}

/** Bad input, or a request the payment's status does not allow: the API answers 4xx naming the field. */
export class PaymentInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly status: 400 | 404 | 409 | 422 = 422,
  ) {
    super(message);
    this.name = 'PaymentInputError';
  }
}

/** The bank (or the workflow acting on it) failed the request: the API answers 502 with the reason. */
export class PaymentUpstreamError extends Error {
  readonly status = 502;
  constructor(message: string) {
    super(message);
    this.name = 'PaymentUpstreamError';
  }
}

/**
 * ISO 4217 codes we accept, with their minor digits (the amount may not have more decimals).
 * Deliberately the currencies a European aggregator's products pay in, not the whole list.
 */
export const CURRENCY_DIGITS: Readonly<Record<string, number>> = {
  DKK: 2,
  EUR: 2,
  SEK: 2,
  NOK: 2,
  ISK: 0,
  GBP: 2,
  CHF: 2,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  RON: 2,
  BGN: 2,
  USD: 2,
  CAD: 2,
  AUD: 2,
  JPY: 0,
};

export interface Money {
  currency: string;
  amount: string;
}

/**
 * The amounts a currency with `digits` minor digits takes, as a regular expression (the API's
 * schema says the same): a positive decimal without leading zeros, at most 14 integer digits and
 * at most `digits` decimals.
 */
export function amountPattern(digits: number): string {
  const integer = '[1-9][0-9]{0,13}';
  if (digits === 0) return `^${integer}$`;
  // 0.x…: some decimal digit is not zero.
  const fractions: string[] = [];
  for (let zeros = 0; zeros < digits; zeros++) {
    const rest = digits - 1 - zeros;
    fractions.push(`${'0'.repeat(zeros)}[1-9]${rest > 0 ? `[0-9]{0,${rest}}` : ''}`);
  }
  return `^(?:${integer}(?:\\.[0-9]{1,${digits}})?|0\\.(?:${fractions.join('|')}))$`;
}

/** A positive decimal with at most the currency's minor digits, in a currency we know. */
export function checkAmount(money: Money, field: string): void {
  const digits = CURRENCY_DIGITS[money.currency];
  if (digits === undefined)
    throw new PaymentInputError(`${field}.currency`, `unknown or unsupported currency "${money.currency}"`);
  if (!new RegExp(amountPattern(digits)).test(money.amount)) {
    throw new PaymentInputError(
      `${field}.amount`,
      `amount must be a positive decimal with at most ${digits} decimals for ${money.currency}, e.g. "${digits === 0 ? '100' : '100.00'}"`,
    );
  }
}

/**
 * An IBAN whose ISO 13616 check digits fail names no account anywhere: 404, no such account (the
 * schema's pattern says everything else about its form; check digits are beyond a pattern).
 */
export function checkIban(iban: string, field: string): void {
  if (!ibanChecksumValid(iban))
    throw new PaymentInputError(field, 'no such account: the IBAN fails its check digits (ISO 13616)', 404);
}

/** The bank, which must offer the service (PIS for payments, PIIS for funds confirmations). */
function bankOffering(deps: Pick<PaymentServiceDeps, 'banks'>, aspspId: string, service: 'pis' | 'piis') {
  if (!deps.banks.has(aspspId)) throw new PaymentInputError('aspspId', `unknown ASPSP "${aspspId}"`);
  const bank = deps.banks.get(aspspId);
  const path = service === 'pis' ? bank.profile.paths.payments : bank.profile.paths.fundsConfirmations;
  if (!bank.profile.services.includes(service) || !path) {
    const what = service === 'pis' ? 'payment initiation (PIS)' : 'funds confirmation (PIIS)';
    throw new PaymentInputError('aspspId', `${bank.profile.name} does not offer ${what}`);
  }
  return bank;
}

export interface CreatePaymentInput {
  customerId: string;
  aspspId: string;
  product: PaymentProduct;
  debtorAccount: { iban: string };
  creditorAccount: { iban: string };
  creditorName: string;
  instructedAmount: Money;
  remittanceInformationUnstructured?: string;
  requestedExecutionDate?: string;
  redirectUrl: string;
  /** The PSU's address as the caller named it (body or X-PSU-IP-Address). */
  psuIpAddress?: string;
  /** The request's own address, used when none was named; dropped where the bank cannot take it. */
  requestIp?: string;
  /** Lets a caller's idempotency key map to one payment. */
  paymentId?: string;
}

export interface CreatedPayment {
  id: string;
  status: PaymentStatus;
  authorisationUrl: string;
  /** The execution date asked of the bank, where one was given. */
  requestedExecutionDate?: string;
  /** What was done differently from what was asked, naming the field. */
  notices?: Notice[];
}

const repository = (deps: PaymentServiceDeps) => deps.repositories.payments;

/** Validates, stores and starts the payment's workflow; answers once the bank has given the PSU's URL. */
export async function createPayment(deps: PaymentServiceDeps, input: CreatePaymentInput): Promise<CreatedPayment> {
  bankOffering(deps, input.aspspId, 'pis');
  checkIban(input.debtorAccount.iban, 'debtorAccount.iban');
  checkIban(input.creditorAccount.iban, 'creditorAccount.iban');
  checkAmount(input.instructedAmount, 'instructedAmount');
  const now = (deps.now ?? Date.now)();
  const notices: Notice[] = [];
  let requestedExecutionDate = input.requestedExecutionDate;
  if (requestedExecutionDate !== undefined) {
    // A day already past cannot be had: the payment goes on the earliest day, today, as banks move
    // a day they cannot execute on to the next one they can. The answer says so.
    const today = new Date(now).toISOString().slice(0, 10);
    if (requestedExecutionDate < today) {
      notices.push({
        field: 'requestedExecutionDate',
        message: `${requestedExecutionDate} is past: the payment is asked for today, ${today}`,
      });
      requestedExecutionDate = today;
    }
  }
  const psu = psuAddressForPayment(deps, input.aspspId, input.psuIpAddress, input.requestIp);
  if (psu.notice) notices.push(psu.notice);

  const id = input.paymentId ?? `pay_${randomUUID()}`;
  const store = repository(deps);
  await store.create({
    id,
    customerId: input.customerId,
    aspspId: input.aspspId,
    product: input.product,
    debtorIban: input.debtorAccount.iban.replace(/\s+/g, '').toUpperCase(),
    creditorIban: input.creditorAccount.iban.replace(/\s+/g, '').toUpperCase(),
    creditorName: input.creditorName,
    amount: input.instructedAmount.amount,
    currency: input.instructedAmount.currency,
    remittanceInformation: input.remittanceInformationUnstructured,
    requestedExecutionDate,
    redirectUrl: input.redirectUrl,
    psuIpAddress: psu.ip,
    createdAt: now,
  });

  let result: { authorisationUrl: string; status: PaymentStatus; lastError?: string };
  try {
    const handle = await deps.temporal.workflow.start(paymentWorkflow, {
      workflowId: paymentWorkflowId(id),
      taskQueue: deps.taskQueue,
      args: [{ paymentId: id, customerId: input.customerId, aspspId: input.aspspId, product: input.product }],
      // A retried create (same idempotency key) reaches the same run; an ended one is never started again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: PaymentIdKey, value: id },
        { key: CustomerIdKey, value: input.customerId },
        { key: AspspKey, value: input.aspspId },
        { key: PaymentStatusKey, value: 'awaiting_authorisation' },
      ],
    });
    result = await handle.executeUpdate(paymentAuthorisationUrlUpdate);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const row = (await store.get(id))!;
    result = {
      authorisationUrl: row.authorisationUrl ?? '',
      status: row.status,
      lastError: row.lastError ?? undefined,
    };
  }
  if (!result.authorisationUrl || result.status !== 'awaiting_authorisation') {
    throw new PaymentUpstreamError(
      `the bank did not start the payment's authorisation (payment ${id} is ${result.status}${result.lastError ? `: ${result.lastError}` : ''})`,
    );
  }
  return {
    id,
    status: result.status,
    authorisationUrl: result.authorisationUrl,
    ...(requestedExecutionDate !== undefined ? { requestedExecutionDate } : {}),
    ...(notices.length > 0 ? { notices } : {}),
  };
}

/**
 * The PSU address to send with the initiation (PSU-IP-Address is mandatory there): the named one,
 * else the request's own. Where the bank cannot take the named address (IPv6 at an IPv4-only
 * bank) the payment goes ahead without it (the bank is told 0.0.0.0, unknown, as when no address is
 * known) and the caller is told: our header never fails a PSU's payment.
 */
function psuAddressForPayment(
  deps: Pick<PaymentServiceDeps, 'banks'>,
  aspspId: string,
  named: string | undefined,
  fallback: string | undefined,
): { ip?: string; notice?: Notice } {
  const profile = deps.banks.get(aspspId).profile;
  const decision = psuIpForBank(profile, named);
  if (decision.kind === 'send') return { ip: decision.ip };
  if (decision.kind === 'unsupported') {
    return {
      notice: {
        field: 'psuIpAddress',
        message: `${decision.reason}: ${named} is not sent; the bank is told the PSU's address is unknown (0.0.0.0)`,
      },
    };
  }
  const implicit = psuIpForBank(profile, fallback);
  return implicit.kind === 'send' ? { ip: implicit.ip } : {};
}

/** Cancels while the bank allows it (BEC: until the PSU has approved); otherwise a 409 with the reason. */
export async function cancelPayment(deps: PaymentServiceDeps, payment: PaymentRecord): Promise<CancelResult> {
  if (payment.status === 'cancelled') return { status: 'cancelled', bankStatus: payment.bankStatus ?? undefined };
  if (FINAL_PAYMENT_STATUSES.includes(payment.status))
    throw new PaymentInputError('status', `the payment is already ${payment.status}; it cannot be cancelled`, 409);
  try {
    return await deps.temporal.workflow.getHandle(paymentWorkflowId(payment.id)).executeUpdate(cancelPaymentUpdate);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      // The workflow ended between our read and the update: answer with the status it ended in.
      const now = await repository(deps).get(payment.id);
      throw new PaymentInputError('status', `the payment is already ${now?.status ?? 'finished'}`, 409);
    }
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    if (err.cause instanceof ApplicationFailure && err.cause.type === PaymentFailure.invalidState)
      throw new PaymentInputError('status', err.cause.message, 409);
    throw new PaymentUpstreamError(err.cause?.message ?? err.message);
  }
}

export interface FundsConfirmationInput {
  aspspId: string;
  customerId: string;
  account: { iban: string };
  instructedAmount: Money;
}

/**
 * Asks the bank now (PIIS, the QWAC's PSP_IC role): never cached, every call reaches the bank.
 * The question runs on the worker (the only process holding the bank keys) as a short workflow.
 */
export async function confirmFunds(
  deps: Pick<PaymentServiceDeps, 'banks' | 'temporal' | 'taskQueue'>,
  input: FundsConfirmationInput,
): Promise<{ fundsAvailable: boolean }> {
  bankOffering(deps, input.aspspId, 'piis');
  checkIban(input.account.iban, 'account.iban');
  checkAmount(input.instructedAmount, 'instructedAmount');
  try {
    return await deps.temporal.workflow.execute(fundsConfirmationWorkflow, {
      workflowId: fundsConfirmationWorkflowId(randomUUID()),
      taskQueue: deps.taskQueue,
      workflowExecutionTimeout: '1 minute',
      args: [
        {
          aspspId: input.aspspId,
          account: { iban: input.account.iban.replace(/\s+/g, '').toUpperCase() },
          instructedAmount: input.instructedAmount,
        },
      ],
    });
  } catch (err) {
    const refusal = refusalOf(err);
    // An account the bank does not know: no such account (404), as for an IBAN that cannot exist.
    if (refusal?.code === 'RESOURCE_UNKNOWN')
      throw new PaymentInputError('account.iban', `no such account at the bank: ${refusal.message}`, 404);
    if (refusal)
      throw new PaymentInputError(refusal.field, `the bank refused the funds confirmation: ${refusal.message}`, 422);
    throw new PaymentUpstreamError(
      `the bank could not confirm funds: ${err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)}`,
    );
  }
}

/** The bank's 4xx refusal, carried by the workflow's failure from its activity. */
function refusalOf(err: unknown): { field: string; message: string; code?: string } | undefined {
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof ApplicationFailure && current.type === FUNDS_CONFIRMATION_REFUSED) {
      const details = current.details?.[0] as { field?: string; code?: string } | undefined;
      return { field: details?.field ?? 'account', message: current.message, code: details?.code };
    }
    current = current.cause;
  }
  return undefined;
}

/**
 * A payment's SCA session: its workflow hears of the PSU's return through the `psuCallback`
 * signal, and the PSU goes to the payment's redirectUrl with `paymentId` and `outcome`.
 */
export const paymentScaSubject: ScaSubjectHandler = {
  async notify(deps, session, notice) {
    try {
      await deps.temporal.workflow
        .getHandle(paymentWorkflowId(session.subjectId))
        .signal(paymentPsuCallbackSignal, notice);
    } catch (err) {
      // A reload after the payment's workflow has ended (completed, rejected …): nobody to tell.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  },
  async redirectTo(deps, session, outcome) {
    const payment = await deps.repositories.payments.get(session.subjectId);
    if (!payment) throw new Error(`SCA session ${session.id} names payment ${session.subjectId}, which is gone`);
    return productRedirect(payment.redirectUrl, 'paymentId', session.subjectId, outcome);
  },
};
