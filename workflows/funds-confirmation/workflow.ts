import { proxyActivities } from '@temporalio/workflow';
import type { FundsConfirmationActivities } from '../../activities';
import { bankQueue } from '../bank-queue';
import type { FundsConfirmationInput, FundsConfirmationResult } from './contract';

// A caller is waiting: a few quick tries, then the API answers 502. On the bank's own queue.
const fundsActivities = (queue: { taskQueue?: string }) =>
  proxyActivities<FundsConfirmationActivities>({
    startToCloseTimeout: '20 seconds',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumAttempts: 3 },
    ...queue,
  });

/** Never cached: every confirmation is a fresh question to the bank. */
export async function fundsConfirmationWorkflow(input: FundsConfirmationInput): Promise<FundsConfirmationResult> {
  return await fundsActivities(bankQueue(input.aspspId)).confirmFunds(input);
}
