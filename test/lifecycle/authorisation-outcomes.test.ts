import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { authorisations, connections } from '../../db/schema';
import {
  ConnectionInputError,
  ConnectionUpstreamError,
  createConnection,
  handlePsuCallback,
  reauthorise,
  syncNow,
} from '../../services/connections';
import { callbackQuery, psuDecides } from '../helpers/psu';
import { startStack, type Stack } from '../helpers/stack';
import { waitForStatus } from './helpers';

describe('the PSU at the bank: denial, no return, replayed and forged callbacks', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ timing: { authorisationTimeoutMs: 3_000 } });
  });
  afterAll(async () => stack?.stop());

  it('a denial at BEC follows TPP-Nok-Redirect-URI and ends in rejected', async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-deny',
      aspspId: 'bec',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    const callback = await stack.psu(created.authorisationUrl, 'deny');
    expect(callback.outcome).toBe('denied');
    expect(callback.redirectTo).toContain('outcome=denied');
    const view = await waitForStatus(stack, created.id, 'rejected');
    expect(view.statusReason).toBe('access_denied');
  });

  it('a denial at Enfuce comes back as error=access_denied and ends in rejected', async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-deny',
      aspspId: 'enfuce-rocker',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    expect((await stack.psu(created.authorisationUrl, 'deny')).outcome).toBe('denied');
    await waitForStatus(stack, created.id, 'rejected');
  });

  it('a PSU who never returns ends in authorisation_expired, and a late callback changes nothing', async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-gone',
      aspspId: 'bec',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    const { location } = await psuDecides(created.authorisationUrl, stack.sandbox.serverCaPem, 'approve');
    await waitForStatus(stack, created.id, 'authorisation_expired', 10_000);
    const late = await handlePsuCallback(stack.deps, callbackQuery(location));
    expect(late.outcome).toBe('error');
    await waitForStatus(stack, created.id, 'authorisation_expired');
  });

  it('a reloaded callback is answered the same way and signals nothing new; a forged state is refused', async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-callback-replay',
      aspspId: 'enfuce-st1',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    const { location } = await psuDecides(created.authorisationUrl, stack.sandbox.serverCaPem, 'approve');
    const first = await handlePsuCallback(stack.deps, callbackQuery(location));
    const again = await handlePsuCallback(stack.deps, callbackQuery(location));
    expect(again).toEqual(first);
    await waitForStatus(stack, created.id, 'active');

    await expect(handlePsuCallback(stack.deps, { state: 'forged', code: 'x' })).rejects.toBeInstanceOf(
      ConnectionInputError,
    );
    await expect(handlePsuCallback(stack.deps, {})).rejects.toThrow(/no state/);
    const row = stack.database.db
      .select()
      .from(authorisations)
      .where(eq(authorisations.connectionId, created.id))
      .get()!;
    expect(row.stateHash).toMatch(/^[0-9a-f]{64}$/);
    expect(location).not.toContain(row.stateHash);
  });

  it('an early re-authorisation the PSU denies leaves the still-valid consent working', async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-renew',
      aspspId: 'bec',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    await stack.psu(created.authorisationUrl, 'approve');
    await waitForStatus(stack, created.id, 'active');
    const again = await reauthorise(stack.deps, created.id, '192.0.2.1');
    expect(again.status).toBe('awaiting_authorisation');
    expect((await stack.psu(again.authorisationUrl, 'deny')).outcome).toBe('denied');
    const view = await waitForStatus(stack, created.id, 'active');
    expect(view.lastError).toMatch(/re-authorisation ended rejected/);
    expect((await syncNow(stack.deps, created.id, '192.0.2.1')).outcome).toBe('ok');
  });

  it('a consent the bank refuses at creation is a 502-class error naming no URL, and the connection is failed', async () => {
    const attempt = createConnection(stack.deps, {
      customerId: 'c-refused',
      aspspId: 'bec',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
      access: { accounts: 'not-a-list' },
    });
    await expect(attempt).rejects.toBeInstanceOf(ConnectionUpstreamError);
    const row = stack.database.db.select().from(connections).where(eq(connections.customerId, 'c-refused')).get()!;
    const view = await waitForStatus(stack, row.id, 'failed');
    expect(view.statusReason).toMatch(/FORMAT_ERROR/);
  });
});
