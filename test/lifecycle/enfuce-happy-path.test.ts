import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionView, createConnection } from '../../services/connections';
import { workflowIdFor } from '../../workflows/connection/types';
import { describeEachBackend } from '../helpers/backends';
import { startStack, type Stack } from '../helpers/stack';
import { historyText, storedAccounts, storedTransactions, waitFor, waitForStatus } from './helpers';

describeEachBackend('Enfuce', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend });
  });
  afterAll(async () => stack?.stop());

  describe.each([
    ['enfuce-rocker', 'rocker-psu-1', '5243 78** **** 8693', 'SEK'],
    ['enfuce-st1', 'st1-psu-1', '5243 66** **** 8694', 'EUR'],
  ])('%s: OAuth2 integrated approach with PKCE', (aspspId, psuId, maskedPan, currency) => {
    it('creates the consent with a client token, authorises with PKCE, exchanges the code and syncs card data', async () => {
      const created = await createConnection(stack.deps, {
        customerId: 'cust-e',
        aspspId,
        redirectUrl: 'https://product.example/back',
        psuIpAddress: '192.0.2.7',
      });
      const url = new URL(created.authorisationUrl);
      expect(url.pathname).toBe('/v1/authorizations');
      expect(url.searchParams.get('scope')).toMatch(/^AIS:/);
      expect(url.searchParams.get('code_challenge_method')).toBe('S256');

      const callback = await stack.psu(created.authorisationUrl, 'approve', psuId);
      expect(callback.outcome).toBe('approved');
      await waitForStatus(stack, created.id, 'active');
      await waitFor('first sync', async () => (await connectionView(stack.deps, created.id)).lastSyncAt);

      const [card] = await storedAccounts(stack, created.id);
      expect(card).toMatchObject({ kind: 'card-account', maskedPan, currency });
      expect((await storedTransactions(stack, card.id)).length).toBeGreaterThan(100);

      // Tokens are stored encrypted; the code and verifier are gone once spent.
      const [stored] = await stack.db.select('tokens', { connectionId: created.id });
      expect(stored.keyId).toBe('test1');
      const [auth] = await stack.db.select('authorisations', { connectionId: created.id });
      expect(auth.codeEnc).toBeNull();
      expect(auth.codeVerifierEnc).toBeNull();

      // No secret reaches Temporal: the tokens the bank issued are not in the history.
      const issued = stack.sandbox.requestLog(aspspId as 'enfuce-rocker').filter((e) => e.path.endsWith('/v1/token'));
      expect(issued.length).toBeGreaterThanOrEqual(2);
      const history = await historyText(stack, workflowIdFor(created.id));
      const plain = stack.deps.cipher.decrypt(stored.keyId, stored.accessTokenEnc, `${created.id}:access`);
      expect(history).not.toContain(plain);
      expect(history).not.toContain(callbackCodeOf(stack, aspspId));
    });
  });
});

/** The authorisation code the PSU brought back, as the bank's request log recorded its redemption. */
function callbackCodeOf(stack: Stack, aspspId: string): string {
  const redemption = stack.sandbox
    .requestLog(aspspId as 'enfuce-rocker')
    .find((e) => e.path.endsWith('/v1/token') && String(e.body).includes('authorization_code'));
  const code = new URLSearchParams(String(redemption?.body ?? '')).get('code');
  if (!code) throw new Error('no code redemption in the bank log');
  return code;
}
