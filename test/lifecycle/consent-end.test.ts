import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { connectionView, createConnection, reauthorise, revoke, syncNow } from '../../services/connections';
import { startStack, type Stack } from '../helpers/stack';
import { storedAccounts, waitFor, waitForStatus } from './helpers';

const DAY = 86_400_000;

async function activeConnection(
  stack: Stack,
  aspspId: string,
  customerId: string,
  extra: { validUntil?: string } = {},
) {
  const created = await createConnection(stack.deps, {
    customerId,
    aspspId,
    redirectUrl: 'https://p.example/r',
    psuIpAddress: '192.0.2.1',
    ...extra,
  });
  await stack.psu(created.authorisationUrl, 'approve');
  await waitForStatus(stack, created.id, ['active', 'expiring_soon']);
  await waitFor('first sync', async () => (await connectionView(stack.deps, created.id)).lastSyncAt);
  return created.id;
}

describe('consent end of life: expiry, PSU revocation, our revocation, re-authorisation', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Account ids change with every consent at this bank: ours must not.
    stack = await startStack({ settings: { resourceIdsPerConsent: true } });
  });
  afterAll(async () => stack?.stop());

  it('expiry at the bank moves the connection to expired; re-authorisation keeps the connection and account ids', async () => {
    const soon = new Date(stack.sandbox.clock.now().getTime() + 2 * DAY).toISOString().slice(0, 10);
    const id = await activeConnection(stack, 'bec', 'c-exp', { validUntil: soon });
    const before = await storedAccounts(stack, id);

    stack.sandbox.clock.advance(4 * DAY);
    onTestFinished(() => stack.sandbox.clock.advance(-4 * DAY));
    await expect(syncNow(stack.deps, id)).rejects.toThrow();
    const view = await waitForStatus(stack, id, 'expired');
    expect(view.statusReason).toMatch(/CONSENT_EXPIRED/);

    const again = await reauthorise(stack.deps, id, '192.0.2.1');
    expect(again.status).toBe('awaiting_authorisation');
    await stack.psu(again.authorisationUrl, 'approve');
    await waitForStatus(stack, id, ['active', 'expiring_soon']);
    await waitFor('sync under the new consent', async () => {
      const after = await storedAccounts(stack, id);
      return after.every((a) => !before.some((b) => b.id === a.id && b.resourceId === a.resourceId))
        ? after
        : undefined;
    });
    const after = await storedAccounts(stack, id);
    expect(after.map((a) => a.id).sort()).toEqual(before.map((a) => a.id).sort());
    expect(after.map((a) => a.resourceId).sort()).not.toEqual(before.map((a) => a.resourceId).sort());
  });

  it('revocation by the PSU at the bank is detected on the next read: revoked', async () => {
    const id = await activeConnection(stack, 'enfuce-rocker', 'c-psu-revoke');
    const consentId = stack.sandbox
      .requestLog('enfuce-rocker')
      .filter((e) => e.path.startsWith('/card-account/'))
      .at(-1)!.headers['consent-id'] as string;
    stack.sandbox.banks['enfuce-rocker'].state.revokeConsent(consentId, 'psu');
    await expect(syncNow(stack.deps, id)).rejects.toThrow();
    const view = await waitForStatus(stack, id, 'revoked');
    expect(view.statusReason).toMatch(/PSU/);
  });

  it('our revocation deletes the consent at the bank and ends the workflow', async () => {
    const id = await activeConnection(stack, 'bec', 'c-our-revoke');
    const result = await revoke(stack.deps, id);
    expect(result.status).toBe('revoked');
    const deletes = stack.sandbox.requestLog('bec').filter((e) => e.method === 'DELETE' && e.status === 204);
    expect(deletes.length).toBeGreaterThanOrEqual(1);
    const consentId = deletes.at(-1)!.path.split('/').at(-1)!;
    expect(stack.sandbox.banks.bec.state.getConsent(consentId)?.status).toBe('terminatedByTpp');
    await expect(syncNow(stack.deps, id)).rejects.toThrow();
  });

  it('a consent within the warning window is expiring_soon, and still syncs', async () => {
    // Workflow time is real time (an earlier test moved only the bank's clock).
    const soon = new Date(Date.now() + 3 * DAY).toISOString().slice(0, 10);
    const created = await createConnection(stack.deps, {
      customerId: 'c-soon',
      aspspId: 'enfuce-st1',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
      validUntil: soon,
    });
    await stack.psu(created.authorisationUrl, 'approve');
    const view = await waitForStatus(stack, created.id, 'expiring_soon');
    expect(view.consent?.validUntil).toBe(soon);
    expect((await syncNow(stack.deps, created.id, '192.0.2.1')).outcome).toBe('ok');
  });
});
