import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectionView, createConnection, syncNow } from '../../services/connections';
import { workflowIdFor } from '../../workflows/connection/types';
import { describeEachBackend } from '../helpers/backends';
import { startStack, type Stack } from '../helpers/stack';
import { storedAccounts, storedTransactions, waitFor, waitForStatus } from './helpers';

describeEachBackend('BEC: consent, MitID redirect, first sync, on-demand sync', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend });
  });
  afterAll(async () => stack?.stop());

  it('goes from awaiting_authorisation to active with accounts, balances and two years of transactions', async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'cust-1',
      aspspId: 'bec',
      redirectUrl: 'https://product.example/done',
      psuIpAddress: '192.0.2.1',
    });
    expect(created.status).toBe('awaiting_authorisation');
    expect(created.authorisationUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/psd2\/0400\/psu\/consents\//);

    const callback = await stack.psu(created.authorisationUrl, 'approve', 'bec-psu-1');
    expect(callback.outcome).toBe('approved');
    expect(callback.redirectTo).toBe(`https://product.example/done?connectionId=${created.id}&outcome=approved`);

    await waitForStatus(stack, created.id, 'active');
    const view = await waitFor('the first sync', async () => {
      const v = await connectionView(stack.deps, created.id);
      return v.lastSyncAt ? v : undefined;
    });
    expect(view.nextSyncAt).toBeGreaterThan(view.lastSyncAt!);
    // The sync wrote the read model itself: what the API shows, and no recordConnectionStatus after it.
    const [row] = await stack.db.select('connections', { id: created.id });
    expect(row).toMatchObject({ lastSyncAt: view.lastSyncAt, nextSyncAt: view.nextSyncAt, lastError: null });
    const handle = stack.deps.temporal.workflow.getHandle(workflowIdFor(created.id));
    const isSync = (e: {
      activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
    }) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'syncConnection';
    // Asleep until the next sync: whatever followed the first sync is in the history.
    const events = await waitFor('the timer after the first sync', async () => {
      const all = (await handle.fetchHistory()).events ?? [];
      return all.slice(all.findIndex(isSync)).some((e) => e.timerStartedEventAttributes) ? all : undefined;
    });
    const scheduled = events.flatMap((e) => {
      const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return name ? [name] : [];
    });
    expect(scheduled.slice(scheduled.indexOf('syncConnection'))).toEqual(['syncConnection']);
    const accounts = await storedAccounts(stack, created.id);
    expect(accounts.length).toBe(2);
    expect(accounts.every((a) => a.iban?.startsWith('DK'))).toBe(true);
    const txns = await storedTransactions(stack, accounts[0].id);
    expect(txns.length).toBeGreaterThan(300);
    expect(txns.some((t) => t.bookingStatus === 'pending')).toBe(true);

    // An attended sync (PSU present) stores nothing twice.
    const before = txns.length;
    const summary = await syncNow(stack.deps, created.id, '192.0.2.1');
    expect(summary.outcome).toBe('ok');
    expect((await storedTransactions(stack, accounts[0].id)).length).toBe(before);
  });
});
