import { proxyActivities } from '@temporalio/workflow';
import type { FundsConfirmationActivities } from '../../activities';
import type { FundsConfirmationInput, FundsConfirmationResult } from './contract';

// A caller is waiting: a few quick tries, then the API answers 502.
const { confirmFunds } = proxyActivities<FundsConfirmationActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Never cached: every confirmation is a fresh question to the bank. */
export async function fundsConfirmationWorkflow(input: FundsConfirmationInput): Promise<FundsConfirmationResult> {
  return await confirmFunds(input);
}
