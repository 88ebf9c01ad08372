import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { pingWorkflow } from '../../workflows';
import { tempDatabase } from '../helpers/db';
import { pingActivityDeps } from '../helpers/ping-deps';
import { startTestWorker, type TestWorker } from '../helpers/temporal';

describe('worker → workflow → activity → SQLite, on a real Temporal dev server', () => {
  const database = tempDatabase();
  let tw: TestWorker;

  beforeAll(async () => {
    tw = await startTestWorker(pingActivityDeps(database.db));
  });
  afterAll(async () => {
    await tw?.stop();
    database.remove();
  });

  it('runs the ping workflow and the row is in the database file', async () => {
    const workflowId = `ping-${Date.now()}`;
    const rowId = await tw.client.workflow.execute(pingWorkflow, {
      taskQueue: tw.taskQueue,
      workflowId,
      args: ['hello from the test'],
    });
    expect(rowId).toBe(`${workflowId}/1`);

    // A separate connection to the same file: the write is durable, not just in this process.
    const reader = new Database(database.path, { readonly: true });
    const row = reader.prepare('select message, workflow_id as workflowId from pings where id = ?').get(rowId);
    reader.close();
    expect(row).toEqual({ message: 'hello from the test', workflowId });
  });

  it('keeps the history on the server: the activity ran once and completed', async () => {
    const workflowId = `ping-history-${Date.now()}`;
    await tw.client.workflow.execute(pingWorkflow, { taskQueue: tw.taskQueue, workflowId, args: ['again'] });
    const history = await tw.client.workflow.getHandle(workflowId).fetchHistory();
    const types = (history.events ?? []).map((e) => e.eventType);
    expect(types.filter((t) => String(t).includes('ACTIVITY_TASK_COMPLETED') || Number(t) === 12).length).toBe(1);
  });
});
