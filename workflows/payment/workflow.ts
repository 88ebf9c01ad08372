import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { PaymentActivities } from '../../activities/payments';
import { PaymentStatusKey } from '../../temporal/search-attributes';
import { bankQueue } from '../bank-queue';
import {
  FINAL_PAYMENT_STATUSES,
  PaymentFailure,
  isFinalBankStatus,
  pollDelay,
  statusForBankCode,
  type PaymentPsuCallback,
  type PaymentState,
  type PaymentStatus,
  type PaymentTiming,
  type PaymentWorkflowInput,
} from './contract';
import {
  cancelPaymentUpdate,
  paymentAuthorisationUrlUpdate,
  paymentPsuCallbackSignal,
  paymentStatusQuery,
} from './messages';

/** Our own bookkeeping in SQLite: local, quick, retried until it sticks. */
const local = proxyLocalActivities<
  Pick<PaymentActivities, 'paymentTiming' | 'recordPaymentStatus' | 'closePaymentAuthorisation'>
>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '5 seconds' },
});

/** The initiation: a few retries, each of which resends only what certainly never reached the bank. */
const initiationActivities = (timing: PaymentTiming, queue: { taskQueue?: string }) =>
  proxyActivities<Pick<PaymentActivities, 'initiatePayment'>>({
    startToCloseTimeout: timing.bankCallTimeoutMs,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
    ...queue,
  });

/** Status reads and cancellation: a failed read is only a missed poll; the next one follows on the backoff. */
const bankActivities = (timing: PaymentTiming, queue: { taskQueue?: string }) =>
  proxyActivities<Pick<PaymentActivities, 'readPaymentStatus' | 'cancelPaymentAtBank'>>({
    startToCloseTimeout: timing.bankCallTimeoutMs,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 4 },
    ...queue,
  });

function failureOf(err: unknown): { type?: string; message: string } {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return {
    type: cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined,
    message: cause instanceof Error ? cause.message : String(cause),
  };
}

function invalidState(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: PaymentFailure.invalidState, message, nonRetryable: true });
}

/** Why a payment in this status can no longer be cancelled. */
function notCancellable(status: PaymentStatus): string {
  if (FINAL_PAYMENT_STATUSES.includes(status)) return `the payment is already ${status}`;
  return `the payment is ${status}: the PSU has approved it and the bank allows a cancellation only before that`;
}

/**
 * One payment: initiation at the bank, the PSU's approval through the bank's redirect, then status
 * reads on a decaying backoff until the bank's final status (or `unknown` after the timing's limit).
 */
export async function paymentWorkflow(input: PaymentWorkflowInput): Promise<PaymentState> {
  const { paymentId } = input;
  const state: PaymentState = { status: 'awaiting_authorisation' };
  let callback: PaymentPsuCallback | undefined;
  let initiated = false;
  let cancel: { requested: boolean; refused?: string; done?: boolean } = { requested: false };

  async function setStatus(
    status: PaymentStatus,
    opts: { bankStatus?: string; reason?: string; lastError?: string } = {},
  ): Promise<void> {
    if (opts.lastError !== undefined) state.lastError = opts.lastError;
    const bankStatus = opts.bankStatus ?? state.bankStatus;
    if (state.status === status && state.bankStatus === bankStatus && state.statusReason === opts.reason) return;
    if (state.status !== status) upsertSearchAttributes([{ key: PaymentStatusKey, value: status }]);
    state.status = status;
    state.bankStatus = bankStatus;
    state.statusReason = opts.reason;
    await local.recordPaymentStatus({
      paymentId,
      status,
      bankStatus,
      reason: opts.reason,
      lastError: state.lastError,
    });
  }

  setHandler(paymentStatusQuery, () => ({
    ...state,
    paymentId,
    customerId: input.customerId,
    aspspId: input.aspspId,
  }));
  setHandler(paymentPsuCallbackSignal, (answer) => {
    if (state.authorisation?.id === answer.authorisationId) callback = answer;
  });
  setHandler(paymentAuthorisationUrlUpdate, async () => {
    await condition(() => initiated);
    return { authorisationUrl: state.authorisation?.url ?? '', status: state.status, lastError: state.lastError };
  });
  setHandler(
    cancelPaymentUpdate,
    async () => {
      cancel = { requested: true };
      await condition(() => cancel.done === true || cancel.refused !== undefined);
      if (cancel.refused !== undefined) throw invalidState(cancel.refused);
      return { status: state.status, bankStatus: state.bankStatus };
    },
    {
      validator: () => {
        if (state.status !== 'awaiting_authorisation') throw invalidState(notCancellable(state.status));
        if (cancel.requested && !cancel.done && cancel.refused === undefined)
          throw invalidState('a cancellation is already under way');
      },
    },
  );

  const timing: PaymentTiming = await local.paymentTiming();
  // Decided once per run: the bank's own queue (rate-limited for the fleet), or the workflow's in older runs.
  const queue = bankQueue(input.aspspId);
  const initiation = initiationActivities(timing, queue);
  const bank = bankActivities(timing, queue);

  // 1. Initiation.
  try {
    const created = await initiation.initiatePayment({ paymentId });
    state.authorisation = {
      id: created.authorisationId,
      url: created.authorisationUrl,
      expiresAt: Date.now() + timing.authorisationTimeoutMs,
    };
    await setStatus('awaiting_authorisation', { bankStatus: created.bankStatus });
    initiated = true;
  } catch (err) {
    const failure = failureOf(err);
    if (failure.type === PaymentFailure.initiationUnknown) {
      await setStatus('unknown', { reason: failure.message, lastError: failure.message });
    } else {
      await setStatus('failed', { reason: 'the bank did not accept the payment', lastError: failure.message });
    }
    initiated = true;
    return await finish();
  }

  // 2. The PSU at the bank.
  const approved = await awaitPsu();
  // A cancellation that arrived with the PSU's approval is too late: answer it now, not at the end.
  if (cancel.requested && !cancel.done && cancel.refused === undefined) cancel.refused = notCancellable(state.status);
  if (!approved) return await finish();

  // 3. Status reads until a final status.
  await pollUntilFinal();
  return await finish();

  async function finish(): Promise<PaymentState> {
    state.authorisation = undefined;
    if (cancel.requested && !cancel.done && cancel.refused === undefined) cancel.refused = notCancellable(state.status);
    await condition(allHandlersFinished);
    return state;
  }

  /** True once the PSU approved (or the bank moved on); false when the payment ended here. */
  async function awaitPsu(): Promise<boolean> {
    const authorisation = state.authorisation!;
    for (;;) {
      const answered = await condition(
        () => callback !== undefined || (cancel.requested && !cancel.done && cancel.refused === undefined),
        Math.max(1, authorisation.expiresAt - Date.now()),
      );
      if (answered && callback === undefined) {
        // The product cancels while the PSU has not approved yet.
        try {
          const result = await bank.cancelPaymentAtBank({ paymentId });
          await local.closePaymentAuthorisation({ authorisationId: authorisation.id });
          state.authorisation = undefined;
          await setStatus('cancelled', { bankStatus: result.bankStatus ?? 'CANC', reason: 'cancelled by the product' });
          cancel.done = true;
          return false;
        } catch (err) {
          const failure = failureOf(err);
          cancel.refused =
            failure.type === PaymentFailure.cancellationRefused
              ? failure.message
              : `the bank did not cancel the payment: ${failure.message}`;
          continue;
        }
      }
      if (!answered) {
        // The PSU never came back: delete the unauthorised payment at the bank.
        await local.closePaymentAuthorisation({ authorisationId: authorisation.id });
        state.authorisation = undefined;
        try {
          const result = await bank.cancelPaymentAtBank({ paymentId });
          await setStatus('authorisation_expired', {
            bankStatus: result.bankStatus ?? 'CANC',
            reason: 'the PSU did not approve the payment in time; it was deleted at the bank',
          });
          return false;
        } catch (err) {
          const failure = failureOf(err);
          if (failure.type === PaymentFailure.cancellationRefused) {
            // The PSU approved at the bank but never came back to us: follow the payment.
            state.lastError = failure.message;
            return true;
          }
          await setStatus('authorisation_expired', {
            reason: 'the PSU did not approve the payment in time; deleting it at the bank failed',
            lastError: failure.message,
          });
          return false;
        }
      }
      const answer = callback!;
      state.authorisation = undefined;
      if (answer.outcome === 'approved') {
        await setStatus('authorised', { reason: 'approved by the PSU' });
        return true;
      }
      let bankStatus: string | undefined;
      try {
        bankStatus = (await bank.readPaymentStatus({ paymentId })).bankStatus;
      } catch (err) {
        state.lastError = failureOf(err).message;
      }
      await setStatus('rejected', {
        bankStatus,
        reason: `the payment was not approved at the bank (${answer.error ?? answer.outcome})`,
      });
      return false;
    }
  }

  async function pollUntilFinal(): Promise<void> {
    const giveUpAt = Date.now() + timing.unknownAfterMs;
    for (let n = 0; ; n++) {
      try {
        const { bankStatus } = await bank.readPaymentStatus({ paymentId });
        const status = statusForBankCode(bankStatus);
        if (isFinalBankStatus(bankStatus)) {
          await setStatus(status, { bankStatus, reason: `the bank reports ${bankStatus}` });
          return;
        }
        await setStatus(status, { bankStatus, reason: state.statusReason });
      } catch (err) {
        // Retries are spent on this read; the next read follows on the backoff.
        state.lastError = failureOf(err).message;
      }
      const remaining = giveUpAt - Date.now();
      if (remaining <= 0) {
        await setStatus('unknown', {
          reason: `no final status from the bank within ${Math.round(timing.unknownAfterMs / 3_600_000)} h of approval`,
        });
        return;
      }
      await sleep(Math.min(pollDelay(timing, n), remaining));
    }
  }
}
