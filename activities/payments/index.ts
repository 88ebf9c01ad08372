import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { Xs2aError } from '../../xs2a/errors';
import { errorCodes } from '../../xs2a/transport';
import { createState, hashState } from '../../xs2a/oauth/pkce';
import type { PaymentInitiationJson } from '../../xs2a/operations/payments';
import {
  DEFAULT_PAYMENT_TIMING,
  PaymentFailure,
  type PaymentProduct,
  type PaymentStatus,
  type PaymentTiming,
} from '../../workflows/payment/contract';
import type { ActivityDeps } from '../deps';
import { bankActivity, toActivityFailure } from '../failures';
import { requirePayment, type PaymentRow } from './repository';

/** The payment activities' deps with their defaults (completeness is checked when the worker starts). */
function paymentDeps(deps: ActivityDeps) {
  return { ...deps, now: deps.now ?? Date.now };
}

/** A session's expiry at the bank page: the PSU's link is dead after this (the workflow's own timeout is shorter). */
const SESSION_TTL_MS = 24 * 3_600_000;

/** Failed before a byte left: the connection was never made. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH']);

/**
 * What a failed initiation tells about the request:
 * - `resend`: the bank certainly did not process it (no connection, 429, 503): the same request
 *   may go again, under the same X-Request-ID;
 * - `refused`: the bank answered with a refusal (4xx), nothing exists there;
 * - `lost`: it may have been processed but the answer is lost (timeout after sending, connection
 *   dropped, 500/502/504, a 2xx we cannot read): never re-sent blindly.
 */
export function initiationOutcome(err: unknown): 'resend' | 'refused' | 'lost' {
  if (!(err instanceof Xs2aError)) return 'lost';
  const status = err.status ?? 0;
  if (status === 429 || status === 503) return 'resend';
  if (status >= 400 && status < 500) return 'refused';
  if (status >= 500) return 'lost';
  if (status >= 200 && status < 300) return 'lost'; // answered, but not in a shape we can read
  // No HTTP answer at all.
  if (err.kind === 'configuration' || err.kind === 'certificate' || err.kind === 'bad_request') return 'refused';
  if (err.kind === 'rate_limited' || err.kind === 'access_exceeded') return 'resend';
  if (errorCodes(err).some((code) => NOT_SENT_CODES.has(code))) return 'resend';
  return 'lost';
}

function initiationUnknown(message: string) {
  return ApplicationFailure.create({ type: PaymentFailure.initiationUnknown, message, nonRetryable: true });
}

function initiationBody(row: PaymentRow): PaymentInitiationJson {
  return {
    debtorAccount: { iban: row.debtorIban },
    instructedAmount: { currency: row.currency, amount: row.amount },
    creditorAccount: { iban: row.creditorIban },
    creditorName: row.creditorName,
    ...(row.remittanceInformation ? { remittanceInformationUnstructured: row.remittanceInformation } : {}),
    ...(row.requestedExecutionDate ? { requestedExecutionDate: row.requestedExecutionDate } : {}),
  };
}

export function createPaymentActivities(deps: ActivityDeps) {
  const d = () => paymentDeps(deps);

  return {
    /** The worker's payment timing: read by the workflow at its start, so it is the worker's, not the API's. */
    async paymentTiming(): Promise<PaymentTiming> {
      return Promise.resolve({ ...DEFAULT_PAYMENT_TIMING, ...deps.paymentTiming });
    },

    /**
     * Initiates the payment at the bank, once. The X-Request-ID and the SCA state are stored
     * before the request goes out; a retry after a certain non-delivery resends the very same
     * request; an initiation whose answer was lost fails with Payment.InitiationUnknown.
     */
    async initiatePayment(input: { paymentId: string }) {
      const c = d();
      const now = c.now();
      const payments = c.repositories.payments;
      let row = await requirePayment(c.repositories, input.paymentId);
      if (row.bankPaymentId && row.authorisationId && row.initiationState === 'sent') {
        // A retry after the answer was stored (the worker died before reporting it).
        return {
          bankStatus: row.bankStatus ?? 'RCVD',
          authorisationId: row.authorisationId,
          authorisationUrl: row.authorisationUrl ?? '',
        };
      }
      if (row.initiationState === 'sending' || row.initiationState === 'lost') {
        await payments.update(row.id, { initiationState: 'lost' }, now);
        throw initiationUnknown(
          `the initiation (X-Request-ID ${row.initiationRequestId}) may have reached the bank but its answer was lost; it is not sent again`,
        );
      }
      if (row.initiationState === 'refused') throw initiationUnknown('the bank refused this initiation before');
      const bank = c.banks.get(row.aspspId);

      let state: string;
      if (!row.initiationRequestId || !row.scaStateEnc || !row.keyId || !row.authorisationId) {
        state = createState();
        const authorisationId = `auth_${randomUUID()}`;
        const encrypted = c.cipher.encrypt(state, `${row.id}:state`);
        const requestId = randomUUID();
        await payments.prepareInitiation(
          {
            id: authorisationId,
            subjectType: 'payment',
            subjectId: row.id,
            stateHash: hashState(state),
            keyId: encrypted.keyId,
            psuIpAddress: row.psuIpAddress,
            expiresAt: now + SESSION_TTL_MS,
            createdAt: now,
          },
          { initiationRequestId: requestId, scaStateEnc: encrypted.value, keyId: encrypted.keyId, authorisationId },
          now,
        );
        row = await requirePayment(c.repositories, row.id);
      } else {
        state = c.cipher.decrypt(row.keyId, row.scaStateEnc, `${row.id}:state`);
      }
      const callback = new URL(c.callbackUrl);
      callback.searchParams.set('state', state);
      const nok = new URL(callback);
      nok.searchParams.set('error', 'access_denied');

      // Stored before sending: a crash from here on leaves "sending", which a retry treats as lost.
      await payments.update(row.id, { initiationState: 'sending' }, now);
      try {
        const created = await bank.client.initiatePayment(row.product as PaymentProduct, initiationBody(row), {
          psuIpAddress: row.psuIpAddress ?? '0.0.0.0',
          redirectUri: callback.toString(),
          nokRedirectUri: nok.toString(),
          requestId: row.initiationRequestId!,
        });
        if (!created.scaRedirect) {
          throw new Xs2aError('the bank answered the payment without an scaRedirect link', {
            kind: 'invalid_response',
            field: '_links.scaRedirect',
            aspsp: bank.profile.id,
            status: 201,
          });
        }
        await payments.update(
          row.id,
          { bankPaymentId: created.paymentId, authorisationUrl: created.scaRedirect, initiationState: 'sent' },
          c.now(),
        );
        return {
          bankStatus: created.transactionStatus,
          authorisationId: row.authorisationId!,
          authorisationUrl: created.scaRedirect,
        };
      } catch (err) {
        const outcome = initiationOutcome(err);
        if (outcome === 'lost') {
          await payments.update(row.id, { initiationState: 'lost' }, c.now());
          throw initiationUnknown(
            `the initiation (X-Request-ID ${row.initiationRequestId}) may have reached the bank but its answer was lost: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
        await payments.update(row.id, { initiationState: outcome === 'resend' ? 'ready' : 'refused' }, c.now());
        throw toActivityFailure(err);
      }
    },

    /** The bank's current ISO 20022 status of the payment. */
    async readPaymentStatus(input: { paymentId: string }) {
      return bankActivity(async () => {
        const c = d();
        const row = await requirePayment(c.repositories, input.paymentId);
        if (!row.bankPaymentId) throw new Error(`payment ${row.id} was never initiated at the bank`);
        const bank = c.banks.get(row.aspspId);
        const status = await bank.client.getPaymentStatus(row.product as PaymentProduct, row.bankPaymentId);
        return { bankStatus: status.transactionStatus };
      });
    },

    /**
     * Cancels (deletes) the payment at the bank. A refusal (e.g. the PSU already approved, BEC's
     * 405) is Payment.CancellationRefused with the bank's reason.
     */
    async cancelPaymentAtBank(input: { paymentId: string }) {
      const c = d();
      const row = await requirePayment(c.repositories, input.paymentId);
      if (!row.bankPaymentId) return { bankStatus: undefined };
      const bank = c.banks.get(row.aspspId);
      try {
        const result = await bank.client.cancelPayment(row.product as PaymentProduct, row.bankPaymentId);
        if (result.authorisationRequired) {
          throw ApplicationFailure.create({
            type: PaymentFailure.cancellationRefused,
            message: 'the bank requires the PSU to authorise the cancellation',
            nonRetryable: true,
          });
        }
        return { bankStatus: result.transactionStatus ?? 'CANC' };
      } catch (err) {
        // 405/409 (CANCELLATION_INVALID): the bank no longer allows it, typically because the PSU approved.
        if (
          err instanceof Xs2aError &&
          (err.status === 405 || err.status === 409 || err.codes.includes('CANCELLATION_INVALID'))
        ) {
          const text = err.tppMessages.find((m) => m.text)?.text;
          throw ApplicationFailure.create({
            type: PaymentFailure.cancellationRefused,
            message: `the bank refused the cancellation (${err.status}${err.code ? ` ${err.code}` : ''})${text ? `: ${text}` : ''}`,
            nonRetryable: true,
          });
        }
        throw toActivityFailure(err);
      }
    },

    /** Mirrors the workflow's status into the database for the API (with payment.status_changed). */
    async recordPaymentStatus(input: {
      paymentId: string;
      status: PaymentStatus;
      bankStatus?: string;
      reason?: string;
      lastError?: string;
    }) {
      await deps.repositories.payments.recordStatus(input, (deps.now ?? Date.now)());
    },

    /** The PSU's link is over (timeout, cancellation): a late return gets the expired page. */
    async closePaymentAuthorisation(input: { authorisationId: string }) {
      const now = (deps.now ?? Date.now)();
      await deps.repositories.scaSessions.closeIfPending(input.authorisationId, {
        outcome: 'expired',
        completedAt: now,
      });
    },
  };
}

export type PaymentActivities = ReturnType<typeof createPaymentActivities>;
