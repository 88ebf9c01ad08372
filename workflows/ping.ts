import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { recordPing } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5 },
});

/** Smallest end-to-end proof: workflow → activity → SQLite row. */
export async function pingWorkflow(message: string): Promise<string> {
  return recordPing(message);
}
