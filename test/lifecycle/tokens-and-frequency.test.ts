import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { connectionView, createConnection, syncNow } from '../../services/connections';
import { describeEachBackend } from '../helpers/backends';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor, waitForStatus } from './helpers';

const tokenGrants = (stack: Stack, bank: 'enfuce-rocker' | 'enfuce-st1', grant: string) =>
  stack.sandbox
    .requestLog(bank)
    .filter((e) => e.path === '/v1/token' && String(e.body).includes(`grant_type=${grant}`));

describeEachBackend('tokens and frequencyPerDay', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend,
      settings: { accessTokenTtlMs: 4_000, refreshTokenTtlMs: 60_000 },
      timing: { tokenRefreshMarginMs: 2_000 },
    });
  });
  afterAll(async () => stack?.stop());

  describe('tokens: refreshed before they expire; a refused refresh needs the PSU again', () => {
    it('refreshes the PSU token on a timer, with rotation, and keeps syncing', async () => {
      const created = await createConnection(stack.deps, {
        customerId: 'c-tok',
        aspspId: 'enfuce-rocker',
        redirectUrl: 'https://p.example/r',
        psuIpAddress: '192.0.2.1',
      });
      await stack.psu(created.authorisationUrl, 'approve');
      await waitForStatus(stack, created.id, 'active');
      await waitFor(
        'two refreshes',
        () => (tokenGrants(stack, 'enfuce-rocker', 'refresh_token').length >= 2 ? true : undefined),
        15_000,
      );
      const refreshes = tokenGrants(stack, 'enfuce-rocker', 'refresh_token');
      expect(refreshes.every((e) => e.status === 200)).toBe(true);
      expect((await connectionView(stack.deps, created.id)).status).toBe('active');
      expect((await syncNow(stack.deps, created.id, '192.0.2.1')).outcome).toBe('ok');
    });

    it('a refresh the bank refuses ends in reauth_required', async () => {
      const created = await createConnection(stack.deps, {
        customerId: 'c-tok2',
        aspspId: 'enfuce-st1',
        redirectUrl: 'https://p.example/r',
        psuIpAddress: '192.0.2.1',
      });
      await stack.psu(created.authorisationUrl, 'approve');
      await waitForStatus(stack, created.id, 'active');
      // The bank forgets every refresh token it issued (as after a password change).
      stack.sandbox.banks['enfuce-st1'].state.updateSettings({ refreshTokenTtlMs: 1 });
      stack.sandbox.clock.advance(2_000);
      // Keep the bank's clock where the other tests expect it.
      onTestFinished(() => stack.sandbox.clock.advance(-2_000));
      const view = await waitForStatus(stack, created.id, 'reauth_required', 15_000);
      expect(view.statusReason).toMatch(/invalid_grant|grant/i);
    });
  });

  describe('frequencyPerDay: never more than the consent allows, and the bank never has to say 429', () => {
    beforeAll(() => {
      // Syncs due every 200 ms from here on: the worker's timing is read at each workflow run's start.
      stack.activityDeps.timing = { ...stack.activityDeps.timing, syncIntervalMs: 200 };
    });

    it('defers unattended syncs once today is used up, while a PSU-present sync still runs', async () => {
      const created = await createConnection(stack.deps, {
        customerId: 'c-freq',
        aspspId: 'bec',
        redirectUrl: 'https://p.example/r',
        psuIpAddress: '192.0.2.1',
        frequencyPerDay: 2,
      });
      await stack.psu(created.authorisationUrl, 'approve');
      await waitForStatus(stack, created.id, 'active');
      // Syncs are due every 200 ms: after two unattended ones the workflow waits for tomorrow.
      const view = await waitFor(
        'deferral to tomorrow',
        async () => {
          const v = await connectionView(stack.deps, created.id);
          // Deferred to the next UTC midnight plus a minute: at least 60 s away whatever the time of day
          // (syncs are otherwise 200 ms apart).
          return v.nextSyncAt && v.nextSyncAt - Date.now() > 50_000 ? v : undefined;
        },
        15_000,
      );
      expect(view.status).toBe('active');

      const log = stack.sandbox.requestLog('bec');
      const unattendedAccountReads = log.filter(
        (e) => e.method === 'GET' && e.path.endsWith('/v1/accounts') && !e.headers['psu-ip-address'],
      );
      expect(unattendedAccountReads.length).toBe(2);
      expect(log.filter((e) => e.status === 429)).toEqual([]);

      const attended = await syncNow(stack.deps, created.id, '192.0.2.44');
      expect(attended.outcome).toBe('ok');
      const unattended = await syncNow(stack.deps, created.id);
      expect(unattended.outcome).toBe('deferred');
      expect(stack.sandbox.requestLog('bec').filter((e) => e.status === 429)).toEqual([]);
    });
  });
});
