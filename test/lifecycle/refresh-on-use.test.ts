import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { BankHandle } from '../../banks/directory';
import { connectionDeps, psuAccessToken, psuTokens } from '../../activities/connections/context';
import { currentConsent, loadTokens, storeTokens } from '../../activities/connections/repository';
import type { ScaFlow } from '../../banks/sca';
import { startStack, type Stack } from '../helpers/stack';
import { approvedConnection } from './helpers';

const refreshGrants = (stack: Stack, bank: 'enfuce-rocker' | 'enfuce-st1') =>
  stack.sandbox
    .requestLog(bank)
    .filter((e) => e.path === '/v1/token' && String(e.body).includes('grant_type=refresh_token'));

describe('refresh on use: one refresh per connection at a time, its rotation stored', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Access tokens of 2 minutes, refreshed within a minute of expiry; refresh tokens of 90 days.
    stack = await startStack({ settings: { accessTokenTtlMs: 120_000 } });
  });
  afterAll(async () => stack?.stop());

  async function activeAt(bank: 'enfuce-rocker' | 'enfuce-st1', customerId: string) {
    const id = await approvedConnection(stack, bank, customerId);
    const c = connectionDeps(stack.activityDeps);
    return { id, c, consentRowId: (await currentConsent(c.repositories, id)).consent.id };
  }

  /** The bank's clock (and ours) 90 s on: the access token is within the refresh margin. */
  function nearExpiry() {
    stack.sandbox.clock.advance(90_000);
    onTestFinished(() => stack.sandbox.clock.advance(-90_000));
  }

  it('concurrent reads of one connection share one refresh, and the rotated tokens are stored', async () => {
    const { id, c, consentRowId } = await activeAt('enfuce-rocker', 'c-single-flight');
    const bank = stack.banks.get('enfuce-rocker');
    const before = (await loadTokens(c.repositories, c.cipher, id))!;
    const grants = refreshGrants(stack, 'enfuce-rocker').length;
    nearExpiry();
    // Without sharing, the second and third would present the refresh token the first just spent.
    const [a, b, third] = await Promise.all([
      psuAccessToken(c, bank, id, consentRowId),
      psuAccessToken(c, bank, id, consentRowId),
      psuTokens(c, bank, id, consentRowId),
    ]);
    expect(refreshGrants(stack, 'enfuce-rocker').length - grants).toBe(1);
    expect(refreshGrants(stack, 'enfuce-rocker').at(-1)?.status).toBe(200);
    expect(a).not.toBe(before.accessToken);
    expect(b).toBe(a);
    expect(third).toMatchObject({ accessToken: a, refreshed: true });
    const stored = (await loadTokens(c.repositories, c.cipher, id))!;
    expect(stored.accessToken).toBe(a);
    expect(stored.refreshToken).not.toBe(before.refreshToken);
    expect(third.refreshExpiresAt).toBe(stored.refreshExpiresAt);
    // Fresh now: the next read takes it as it is.
    expect(await psuAccessToken(c, bank, id, consentRowId)).toBe(a);
    expect(refreshGrants(stack, 'enfuce-rocker').length - grants).toBe(1);
  });

  it('a refresh token another process spent a moment before is taken from the store: the PSU is not lost', async () => {
    const { id, c, consentRowId } = await activeAt('enfuce-st1', 'c-other-process');
    const real = stack.banks.get('enfuce-st1');
    nearExpiry();
    // Another worker process refreshes right after this one read the stored tokens.
    const racing = Object.create(real.sca) as ScaFlow;
    racing.psuAccessToken = async (input) => {
      const mine = await input.stored();
      const other = await real.sca.psuAccessToken({ ...input, stored: () => mine });
      await storeTokens(c.repositories, c.cipher, id, consentRowId, other.refreshed!, c.now());
      return real.sca.psuAccessToken({ ...input, stored: () => mine });
    };
    const bank: BankHandle = { ...real, sca: racing };
    const token = await psuAccessToken(c, bank, id, consentRowId);
    const statuses = refreshGrants(stack, 'enfuce-st1').map((e) => e.status);
    // Ours was refused (the refresh token was spent), theirs is what the read uses.
    expect(statuses.slice(-2)).toEqual([200, 400]);
    expect(token).toBe((await loadTokens(c.repositories, c.cipher, id))!.accessToken);
  });
});
