import type { ActivityDeps } from './deps';
import { createConsentActivities } from './connections/consent';
import { createSyncActivities } from './connections/sync';
import { createPaymentActivities } from './payments';
import { createPingActivities } from './ping';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPingActivities(deps),
    ...createConsentActivities(deps),
    ...createSyncActivities(deps),
    ...createPaymentActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
