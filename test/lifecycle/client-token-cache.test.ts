import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionView, createConnection, revoke } from '../../services/connections';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor, waitForStatus } from './helpers';

/**
 * Issue 13, defect 5: a cached client-credentials token the bank no longer takes (401 TOKEN_EXPIRED
 * after clock skew, TOKEN_INVALID after early revocation) is dropped, renewed and the call retried
 * once, for every consent call that carries it: create, get (after the PSU's approval), delete.
 */
describe.each([['enfuce-rocker'], ['enfuce-st1']] as const)('%s: client token refused by the bank', (aspspId) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.stop());

  /** The sandbox bank ends every live client token, through its admin API. */
  async function endClientTokens(how: 'revoke' | 'expire'): Promise<number> {
    const res = await fetch(`${stack.sandbox.adminUrl}/admin/banks/${aspspId}/client-tokens/${how}`, {
      method: 'POST',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, number>;
    return body[how === 'revoke' ? 'revoked' : 'expired'];
  }

  const refusedTokens = () =>
    stack.sandbox
      .requestLog(aspspId)
      .filter((e) => e.status === 401 && /TOKEN_(EXPIRED|INVALID)/.test(String(e.errorCode ?? ''))).length;
  const tokenRequests = () => stack.sandbox.requestLog(aspspId).filter((e) => e.path.endsWith('/v1/token')).length;

  const create = (customerId: string) =>
    createConnection(stack.deps, {
      customerId,
      aspspId,
      redirectUrl: 'https://product.example/back',
      psuIpAddress: '192.0.2.7',
    });

  it('create, approval and revocation each get a new token and succeed', async () => {
    // Warm the cache.
    const first = await create('c-token-1');
    expect(first.status).toBe('awaiting_authorisation');

    // Early revocation: the next create is refused once, then succeeds with a new token.
    expect(await endClientTokens('revoke')).toBeGreaterThan(0);
    const refusedBefore = refusedTokens();
    const second = await create('c-token-2');
    expect(second.authorisationUrl).toMatch(/^https:/);
    expect(refusedTokens()).toBe(refusedBefore + 1);

    // Clock skew: the token expires at the bank before we think it does; the PSU approves meanwhile.
    expect(await endClientTokens('expire')).toBeGreaterThan(0);
    const callback = await stack.psu(second.authorisationUrl, 'approve');
    expect(callback.outcome).toBe('approved');
    await waitForStatus(stack, second.id, 'active');
    await waitFor('first sync', async () => (await connectionView(stack.deps, second.id)).lastSyncAt);

    // Our revocation (DELETE at the bank) after another early revocation.
    expect(await endClientTokens('revoke')).toBeGreaterThan(0);
    const tokensBefore = tokenRequests();
    await revoke(stack.deps, second.id);
    await waitForStatus(stack, second.id, 'revoked');
    expect(tokenRequests()).toBeGreaterThan(tokensBefore);
    const deletes = stack.sandbox
      .requestLog(aspspId)
      .filter((e) => e.method === 'DELETE' && e.path.includes('/consents/'));
    expect(deletes.at(-1)?.status).toBe(204);
  });
});
