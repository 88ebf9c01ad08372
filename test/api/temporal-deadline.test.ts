import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { buildApp } from '../../api/app';
import { mapServiceError } from '../../api/errors';
import { bankProfiles } from '../../banks/directory';
import { createLogger } from '../../logging/logger';
import { AppMetrics } from '../../metrics/registry';
import { sqliteRepositories } from '../../repositories/sqlite';
import { TokenCipher } from '../../secrets/token-cipher';
import { tempDatabase } from '../helpers/db';
import { syncNow } from '../../services/connections';
import { TemporalWaitError, withTemporalDeadline } from '../../services/temporal-deadline';
import { syncNowUpdate } from '../../workflows/connection/messages';

let connection: Connection;
let temporal: Client;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection, namespace: 'default' });
});
afterAll(async () => connection?.close());

async function caught(promise: Promise<unknown>): Promise<TemporalWaitError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TemporalWaitError) return err;
    throw err;
  }
  throw new Error('expected a TemporalWaitError');
}

/** A sync without the PSU's address reads neither the database nor the bank profiles. */
const withoutPsu = (deps: { temporal: Client; taskQueue: string }) =>
  ({ ...deps, db: undefined, banks: undefined }) as unknown as Parameters<typeof syncNow>[0];

describe('timeouts toward Temporal', () => {
  it('an update with no worker polling the task queue is a 503 naming the queue, at once', async () => {
    const taskQueue = `nobody-${randomUUID()}`;
    const started = Date.now();
    const err = await caught(syncNow(withoutPsu({ temporal, taskQueue }), 'con_nobody'));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.status).toBe(503);
    expect(err.message).toBe(`no worker is polling the task queue ${taskQueue}; retry once a worker runs`);
    expect(mapServiceError(err)).toEqual({ status: 503, message: err.message });
  });

  it('an update that is not answered within the deadline is a 504 naming Temporal', async () => {
    const taskQueue = `stuck-${randomUUID()}`;
    // A "worker" that takes the workflow task and never answers (a stuck or overloaded worker).
    const stuck = connection
      .withDeadline(Date.now() + 10_000, () =>
        temporal.workflowService.pollWorkflowTaskQueue({
          namespace: 'default',
          taskQueue: { name: taskQueue, kind: 1 },
          identity: 'stuck-worker',
        }),
      )
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const handle = await temporal.workflow.start('connectionWorkflow', {
      workflowId: `deadline-${randomUUID()}`,
      taskQueue,
      args: [{ connectionId: 'con_stuck', customerId: 'c', aspspId: 'bec' }],
    });
    const started = Date.now();
    const err = await caught(
      withTemporalDeadline({ temporal, taskQueue }, 'the sync', 3_000, () =>
        handle.executeUpdate(syncNowUpdate, { args: [{}] }),
      ),
    );
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(err.status).toBe(504);
    expect(err.message).toBe(`Temporal did not answer the sync within 3 s (is a worker polling ${taskQueue}?)`);
    await handle.terminate('test done');
    await stuck;
  }, 20_000);

  it('an unreachable Temporal is a 503 naming its address', async () => {
    const lazy = Connection.lazy({ address: '127.0.0.1:1' });
    const unreachable = new Client({ connection: lazy, namespace: 'default' });
    const err = await caught(syncNow(withoutPsu({ temporal: unreachable, taskQueue: 'q' }), 'con_x'));
    expect(err.status).toBe(503);
    expect(err.message).toBe('Temporal at 127.0.0.1:1 is unavailable; retry later');
    await lazy.close();
  }, 15_000);

  it('/readyz is 503 when Temporal cannot be reached, and the log names its address', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const lazy = Connection.lazy({ address: '127.0.0.1:1' });
    const unreachable = new Client({ connection: lazy, namespace: 'default' });
    const database = tempDatabase();
    const app = buildApp({
      repositories: sqliteRepositories(database.db),
      temporal: unreachable,
      taskQueue: 'q',
      banks: bankProfiles([]),
      cipher: new TokenCipher(new Map([['k', Buffer.alloc(32, 1)]])),
      logger: createLogger({ level: 'warn' }, sink),
      metrics: new AppMetrics(),
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ status: 'not_ready', failed: { temporal: 'unavailable' } });
      expect(res.body).not.toContain('127.0.0.1:1');
      expect(lines.join('')).toContain('"temporalAddress":"127.0.0.1:1"');
    } finally {
      await app.close();
      await lazy.close();
      database.remove();
    }
  }, 15_000);
});
