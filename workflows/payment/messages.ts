import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AuthorisationUrlResult, CancelResult, PaymentPsuCallback, PaymentView } from './contract';

/** The PSU came back from the bank (the API's /callback, routed by SCA session). Carries no state or code. */
export const paymentPsuCallbackSignal = defineSignal<[PaymentPsuCallback]>('psuCallback');

/** Resolves once the bank knows the payment and the PSU has somewhere to go (or the initiation failed). */
export const paymentAuthorisationUrlUpdate = defineUpdate<AuthorisationUrlResult, []>('authorisationUrl');

/** Cancels the payment while the bank allows it; refused with Payment.InvalidState otherwise. */
export const cancelPaymentUpdate = defineUpdate<CancelResult, []>('cancel');

export const paymentStatusQuery = defineQuery<PaymentView>('status');
