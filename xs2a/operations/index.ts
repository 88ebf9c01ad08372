export {
  Xs2aClient,
  type Xs2aClientOptions,
  type CreateConsentContext,
  type ConsentRequestContext,
  type TransactionQuery,
  type PaymentContext,
  type PaymentRequestContext,
  type PaymentStatusInfo,
  type PaymentCancellation,
  type FundsConfirmationInput,
  type EnrolmentResult,
} from './client';
export * as xs2aSchemas from './schemas';
export { toAccount, toCardAccount, toBalance, toTransaction, toCardTransaction } from './normalise';
export type * from './types';
export * from './payments';
