import type { ActivityDeps } from './deps';
import { createBookkeepingActivities } from './connections/bookkeeping';
import { createConsentActivities } from './connections/consent';
import { createSyncActivities } from './connections/sync';
import { createPaymentActivities } from './payments';
import { createPingActivities } from './ping';
import { createWebhookActivities } from './webhooks/delivery';

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
  };
}

export type Activities = ReturnType<typeof createActivities>;
/** Bank calls of a consent's life: createConsent, completeAuthorisation, refreshTokens, revokeConsent. */
export type ConsentActivities = ReturnType<typeof createConsentActivities>;
/** The one long, heartbeating read of a consent's data: syncConnection. */
export type SyncActivities = ReturnType<typeof createSyncActivities>;
/** Our own records and configuration: recordConnectionStatus, closeAuthorisation, connectionTiming. */
export type BookkeepingActivities = ReturnType<typeof createBookkeepingActivities>;
