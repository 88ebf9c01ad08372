/**
 * End to end against the sandbox banks: the PSU is told the connection's real outcome, an early
 * or mismatched callback neither fails nor poisons a real authorisation, and a PSU on IPv6 never
 * breaks a connection (Berlin Group 1.3.12 PSU-IP-Address is format ipv4; the sandboxes refuse IPv6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection, handlePsuCallback, reauthorise, syncNow } from '../../services/connections';
import { callbackQuery, psuDecides } from '../helpers/psu';
import { startStack, TEST_CALLBACK_URL, type Stack } from '../helpers/stack';
import { waitFor, waitForStatus } from './helpers';

describe('callbacks tell the truth, and IPv6 PSUs keep their connections', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.stop());

  const create = (aspspId: string, customerId: string, psuIpAddress = '192.0.2.1') =>
    createConnection(stack.deps, { customerId, aspspId, redirectUrl: 'https://p.example/r', psuIpAddress });

  /** The TPP-Redirect-URI BEC holds for the connection's consent: our callback with the state. */
  async function becRedirectUri(connectionId: string): Promise<string> {
    const [consent] = await stack.db.select('consents', { connectionId });
    return stack.sandbox.banks.bec.state.getConsent(consent.bankConsentId)!.redirectUri!;
  }

  it('BEC: a callback with the right state before the PSU decided is pending; the real return activates', async () => {
    const created = await create('bec', 'c-early');
    const early = await handlePsuCallback(stack.deps, callbackQuery(await becRedirectUri(created.id)), '192.0.2.1');
    expect(early.outcome).toBe('pending');
    expect(early.redirectTo).toContain('outcome=pending');
    const waiting = await waitForStatus(stack, created.id, 'awaiting_authorisation');
    expect(waiting.authorisation).toBeDefined();
    const real = await stack.psu(created.authorisationUrl, 'approve');
    expect(real.outcome).toBe('approved');
    expect(real.redirectTo).toContain('outcome=approved');
    await waitForStatus(stack, created.id, 'active');
  });

  it("Enfuce: A's code with B's state is not approved and poisons neither; both recover", async () => {
    const a = await create('enfuce-rocker', 'c-a');
    const b = await create('enfuce-rocker', 'c-b');
    const fromA = callbackQuery((await psuDecides(a.authorisationUrl, stack.sandbox.serverCaPem, 'approve')).location);
    const fromB = callbackQuery((await psuDecides(b.authorisationUrl, stack.sandbox.serverCaPem, 'approve')).location);
    const mixed = await handlePsuCallback(stack.deps, { state: fromB.state, code: fromA.code }, '192.0.2.2');
    expect(mixed.outcome).toBe('error');
    expect(mixed.redirectTo).not.toContain('outcome=approved');
    expect((await waitForStatus(stack, b.id, 'awaiting_authorisation')).authorisation).toBeDefined();
    // B's PSU comes back with B's own code: B goes active.
    expect((await handlePsuCallback(stack.deps, fromB, '192.0.2.2')).outcome).toBe('approved');
    await waitForStatus(stack, b.id, 'active');
    // The bank spent A's code on the mismatched exchange (single use even when it fails): A's PSU
    // is told so, not approved, and A is not failed or reauth_required: it keeps waiting, and
    // ends authorisation_expired (then a re-authorisation) if the PSU does not come back.
    const own = await handlePsuCallback(stack.deps, fromA, '192.0.2.3');
    expect(own.outcome).toBe('error');
    const view = await waitForStatus(stack, a.id, 'awaiting_authorisation');
    expect(view.lastError).toMatch(/grant|code/i);
    // The spoilt authorisation may be replaced: A's PSU approves a new one and A goes active.
    const again = await reauthorise(stack.deps, a.id, '192.0.2.3');
    expect(again.authorisationUrl).not.toBe(a.authorisationUrl);
    expect((await stack.psu(again.authorisationUrl, 'approve')).outcome).toBe('approved');
    await waitForStatus(stack, a.id, 'active');
  });

  it('a consent for an IPv6 PSU goes ahead without the address where the bank takes only IPv4, and says so', async () => {
    const created = await create('bec', 'c-v6', '2001:db8::1');
    expect(created.notices).toEqual([
      { field: 'X-PSU-IP-Address', message: expect.stringMatching(/IPv4.*2001:db8::1 is not sent/) },
    ]);
    const [row] = await stack.db.select('connections', { id: created.id });
    expect(row.psuIpAddress).toBeNull();
    const consentCall = stack.sandbox
      .requestLog('bec')
      .filter((e) => e.method === 'POST' && e.path.endsWith('/v1/consents'))
      .at(-1);
    expect(consentCall?.headers['psu-ip-address']).toBe('0.0.0.0');
    // The PSU can still connect.
    const { location } = await psuDecides(created.authorisationUrl, stack.sandbox.serverCaPem, 'approve');
    expect((await handlePsuCallback(stack.deps, callbackQuery(location), '2001:db8::1')).outcome).toBe('approved');
    await waitForStatus(stack, created.id, 'active');
  });

  it('an IPv4-mapped IPv6 PSU is sent as IPv4; a PSU back over IPv6 gets an active connection and an unattended first sync', async () => {
    for (const aspspId of ['bec', 'enfuce-st1']) {
      const created = await create(aspspId, `c-mapped-${aspspId}`, '::ffff:192.0.2.7');
      const [row] = await stack.db.select('connections', { id: created.id });
      expect(row.psuIpAddress).toBe('192.0.2.7');
      const { location } = await psuDecides(created.authorisationUrl, stack.sandbox.serverCaPem, 'approve');
      expect(location.startsWith(TEST_CALLBACK_URL)).toBe(true);
      const back = await handlePsuCallback(stack.deps, callbackQuery(location), '2001:db8::5');
      expect(back.outcome).toBe('approved');
      const view = await waitForStatus(stack, created.id, 'active');
      expect(view.lastError).toBeUndefined();
      // The PSU is told approved once the consent is valid; the first sync follows.
      const firstSync = await waitFor(
        'the first sync',
        async () => (await stack.db.select('syncRuns', { connectionId: created.id, reason: 'first' }))[0],
      );
      expect(firstSync).toMatchObject({ psuPresent: false });
      const [session] = await stack.db.select('authorisations', { subjectId: created.id });
      expect(session?.psuIpAddress).toBe('2001:db8::5');
      // A sync "with the PSU present" over IPv6 runs unattended instead of failing at the bank.
      const summary = await syncNow(stack.deps, created.id, '2001:db8::5');
      expect(summary.outcome).toBe('ok');
      // … and says so: the read counted.
      expect(summary.psuPresent).toBe(false);
      expect(summary.notices).toEqual([{ field: 'psuIpAddress', message: expect.stringMatching(/unattended/) }]);
      expect((await waitForStatus(stack, created.id, 'active')).lastError).toBeUndefined();
    }
  });
});
