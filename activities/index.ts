import type { ActivityDeps } from './deps';
import { createBookkeepingActivities } from './connections/bookkeeping';
import { createConsentActivities } from './connections/consent';
import { createSyncActivities } from './connections/sync';
import { createPaymentActivities } from './payments';
import { createPingActivities } from './ping';
import { createWebhookActivities } from './webhooks/delivery';
import { createFundsConfirmationActivities } from './payments/funds-confirmation';
import { BANK_ACTIVITY_NAMES, type BankActivityName } from '../temporal/bank-task-queues';

export type { ActivityDeps, PingActivityDeps } from './deps';
export { missingActivityDeps, requireActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPingActivities(deps),
    ...createConsentActivities(deps),
    ...createSyncActivities(deps),
    ...createWebhookActivities(deps),
    ...createBookkeepingActivities(deps),
    ...createPaymentActivities(deps),
    ...createFundsConfirmationActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
/** The worker answers the API's funds confirmations (PIIS): confirmFunds. */
export type FundsConfirmationActivities = ReturnType<typeof createFundsConfirmationActivities>;
/** Bank calls of a consent's life: createConsent, completeAuthorisation, refreshTokens, revokeConsent. */
export type ConsentActivities = ReturnType<typeof createConsentActivities>;
/** The one long, heartbeating read of a consent's data: syncConnection. */
export type SyncActivities = ReturnType<typeof createSyncActivities>;
/** Our own records and configuration: recordConnectionStatus, closeAuthorisation, connectionTiming. */
export type BookkeepingActivities = ReturnType<typeof createBookkeepingActivities>;

/** The activities that call a bank, for the Workers on the bank task queues (worker/worker.ts). */
export function bankActivities(all: Activities): Pick<Activities, BankActivityName> {
  const names = new Set<string>(BANK_ACTIVITY_NAMES);
  return Object.fromEntries(Object.entries(all).filter(([name]) => names.has(name))) as Pick<
    Activities,
    BankActivityName
  >;
}
