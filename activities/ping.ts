import { Context } from '@temporalio/activity';
import type { PingActivityDeps } from './deps';

export function createPingActivities({ repositories }: PingActivityDeps) {
  return {
    /** Idempotent on the activity's workflow and activity ids, so a retry writes one row. */
    async recordPing(message: string): Promise<string> {
      const info = Context.current().info;
      const workflowId = info.workflowExecution?.workflowId ?? 'standalone';
      const id = `${workflowId}/${info.activityId}`;
      await repositories.pings.record({ id, message, workflowId });
      return id;
    },
  };
}
