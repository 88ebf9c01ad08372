import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createConnection } from '../../services/connections';
import { describeEachBackend } from '../helpers/backends';
import { killChild, startChildWorker } from '../helpers/child-worker';
import { startStack, type Stack } from '../helpers/stack';
import { storedAccounts, storedTransactions, waitFor, waitForStatus } from './helpers';

describeEachBackend('a worker killed in the middle of a sync', (backend) => {
  let stack: Stack;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    stack = await startStack({
      backend,
      settings: { transactionsPageSize: 25 },
      timing: { syncHeartbeatTimeoutMs: 2_000 },
    });
  });
  afterAll(async () => {
    await killChild(child);
    await stack?.stop();
  });

  it('is retried on another worker: no duplicate, no gap, one sync run', async () => {
    await stack.stopWorker();
    child = await startChildWorker(stack, 'crash');

    // Slow pages, so the first (two-year) sync is still reading when the worker dies.
    stack.sandbox.setFaults('bec', { latencyMs: 40 });
    const created = await createConnection(stack.deps, {
      customerId: 'c-crash',
      aspspId: 'bec',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    const isPage = (e: { path: string }) => e.path.includes('/transactions');
    await stack.psu(created.authorisationUrl, 'approve', 'bec-psu-1');
    await waitFor('the first sync to be some pages in', () =>
      stack.sandbox.requestLog('bec').filter(isPage).length > 8 ? true : undefined,
    );
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;
    const pagesBeforeCrash = stack.sandbox.requestLog('bec').filter(isPage).length;
    stack.sandbox.setFaults('bec', { latencyMs: 0 });

    await stack.startWorker();
    await waitForStatus(stack, created.id, 'active');
    const runs = () => stack.deps.repositories.connections.syncRuns(created.id);
    const run = await waitFor('the first sync to finish on the new worker', async () =>
      (await runs()).find((r) => r.outcome === 'ok'),
    );
    expect(run.reason).toBe('first');
    expect(pagesBeforeCrash).toBeGreaterThan(8);

    // Both attempts wrote to the same sync run row.
    expect(await runs()).toHaveLength(1);
    const [{ bankConsentId }] = await stack.db.select('consents', { connectionId: created.id });
    for (const account of await storedAccounts(stack, created.id)) {
      const ours = (await storedTransactions(stack, account.id)).map((t) => t.bankTransactionId).sort();
      const theirs = stack.sandbox.banks.bec.state
        .transactions(bankConsentId, account.resourceId, { bookingStatus: 'both', dateFrom: '2000-01-01' })
        .map((t) => t.transactionId)
        .sort();
      expect(ours).toEqual(theirs);
    }
  });
});
