import type { Xs2aClient } from '../../xs2a/operations/client';
import { OAuth2IntegratedScaFlow } from './oauth2-integrated';
import { RedirectScaFlow } from './redirect';
import type { ScaFlow } from './types';

export { OAuth2IntegratedScaFlow } from './oauth2-integrated';
export { RedirectScaFlow } from './redirect';
export type * from './types';

/** The bank's consent approval flow, chosen once from its profile's scaApproach. */
export function scaFlowFor(client: Xs2aClient): ScaFlow {
  switch (client.profile.scaApproach) {
    case 'redirect':
      return new RedirectScaFlow(client);
    case 'oauth2-integrated':
      return new OAuth2IntegratedScaFlow(client);
  }
}
