import type { ActivityDeps } from './deps';
import { createConsentActivities } from './connections/consent';
import { createSyncActivities } from './connections/sync';
import { createPingActivities } from './ping';

export type { ActivityDeps, PingActivityDeps } from './deps';
export { missingActivityDeps, requireActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPingActivities(deps),
    ...createConsentActivities(deps),
    ...createSyncActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
