import type { ActivityDeps } from './deps';
import { createConsentActivities } from './connections/consent';
import { createSyncActivities } from './connections/sync';
import { createPingActivities } from './ping';
import { createWebhookActivities } from './webhooks/delivery';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createPingActivities(deps),
    ...createConsentActivities(deps),
    ...createSyncActivities(deps),
    ...createWebhookActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
