import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { connectionView, createConnection, revoke, syncNow } from '../../services/connections';
import { describeEachBackend } from '../helpers/backends';
import { startStack, type Stack } from '../helpers/stack';
import { approvedConnection, waitFor, waitForStatus } from './helpers';

const tokenGrants = (stack: Stack, bank: 'enfuce-rocker' | 'enfuce-st1', grant: string) =>
  stack.sandbox
    .requestLog(bank)
    .filter((e) => e.path === '/v1/token' && String(e.body).includes(`grant_type=${grant}`));

describeEachBackend('tokens and frequencyPerDay', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend,
      settings: { accessTokenTtlMs: 3_000, refreshTokenTtlMs: 60_000 },
      timing: { tokenRefreshMarginMs: 1_000 },
    });
  });
  afterAll(async () => stack?.stop());

  describe('tokens: refreshed when a read needs them; a refused refresh needs the PSU again', () => {
    const active = (bank: 'enfuce-rocker' | 'enfuce-st1', customerId: string) =>
      approvedConnection(stack, bank, customerId);

    it('lets an unused access token expire, and the next sync refreshes it once, with rotation', async () => {
      const id = await active('enfuce-rocker', 'c-tok');
      const issued = (await connectionView(stack.deps, id)).consent!;
      // Two lifetimes of the access token pass with no sync: no refresh on a timer.
      await new Promise((r) => setTimeout(r, 6_500));
      expect(tokenGrants(stack, 'enfuce-rocker', 'refresh_token')).toEqual([]);

      expect((await syncNow(stack.deps, id, '192.0.2.1')).outcome).toBe('ok');
      const refreshes = tokenGrants(stack, 'enfuce-rocker', 'refresh_token');
      expect(refreshes.map((e) => e.status)).toEqual([200]);
      // The sync told the workflow when the new tokens lapse: its upkeep follows the refresh token.
      const view = await connectionView(stack.deps, id);
      expect(view.status).toBe('active');
      expect(view.consent!.tokenExpiresAt).toBeGreaterThan(issued.tokenExpiresAt!);
      expect(view.consent!.refreshTokenExpiresAt).toBeGreaterThan(issued.refreshTokenExpiresAt!);
    });

    it('wakes to refresh before the refresh token lapses when no sync comes first', async () => {
      // Refresh tokens of 5 s, syncs an hour apart: the workflow keeps the refresh token alive itself.
      stack.sandbox.banks['enfuce-rocker'].state.updateSettings({ refreshTokenTtlMs: 5_000 });
      onTestFinished(() => stack.sandbox.banks['enfuce-rocker'].state.updateSettings({ refreshTokenTtlMs: 60_000 }));
      const before = tokenGrants(stack, 'enfuce-rocker', 'refresh_token').length;
      const id = await active('enfuce-rocker', 'c-tok-upkeep');
      await waitFor(
        'two upkeep refreshes',
        () => (tokenGrants(stack, 'enfuce-rocker', 'refresh_token').length - before >= 2 ? true : undefined),
        15_000,
      );
      expect(tokenGrants(stack, 'enfuce-rocker', 'refresh_token').every((e) => e.status === 200)).toBe(true);
      expect((await connectionView(stack.deps, id)).status).toBe('active');
      expect((await syncNow(stack.deps, id, '192.0.2.1')).outcome).toBe('ok');
      await revoke(stack.deps, id);
    });

    it('a refresh the bank refuses during a sync ends in reauth_required', async () => {
      const id = await active('enfuce-st1', 'c-tok2');
      // The bank's clock past the refresh token's lifetime (ours follows it): the read needs a refresh it refuses.
      stack.sandbox.clock.advance(61_000);
      // Keep the bank's clock where the other tests expect it.
      onTestFinished(() => stack.sandbox.clock.advance(-61_000));
      await expect(syncNow(stack.deps, id, '192.0.2.1')).rejects.toThrow(/refresh token refused|invalid_grant/);
      const view = await waitForStatus(stack, id, 'reauth_required', 15_000);
      expect(view.statusReason).toMatch(/invalid_grant|grant/i);
      expect(tokenGrants(stack, 'enfuce-st1', 'refresh_token').map((e) => e.status)).toEqual([400]);
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
