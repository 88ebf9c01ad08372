import { Context } from '@temporalio/activity';
import { pings } from '../db/schema';
import type { PingActivityDeps } from './deps';

export function createPingActivities({ db }: PingActivityDeps) {
  return {
    /** Idempotent on the activity's workflow and activity ids, so a retry writes one row. */
    async recordPing(message: string): Promise<string> {
      const info = Context.current().info;
      const workflowId = info.workflowExecution?.workflowId ?? 'standalone';
      const id = `${workflowId}/${info.activityId}`;
      db.insert(pings).values({ id, message, workflowId }).onConflictDoNothing().run();
      return id;
    },
  };
}
