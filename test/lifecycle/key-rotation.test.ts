import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { tokens } from '../../db/schema';
import { TokenCipher } from '../../secrets/token-cipher';
import { connectionView, createConnection, handlePsuCallback, syncNow } from '../../services/connections';
import { callbackQuery, psuDecides } from '../helpers/psu';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor, waitForStatus } from './helpers';

describe('encryption key rotation', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.stop());

  it('an authorisation started under the old key completes under the new one; old tokens stay readable', async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-rot',
      aspspId: 'enfuce-rocker',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    const { location } = await psuDecides(created.authorisationUrl, stack.sandbox.serverCaPem, 'approve');

    // Rotate: a new active key, the old one still listed for reading (API and worker alike).
    const keys = new Map([
      [stack.cipherKey.id, stack.cipherKey.key],
      ['test2', randomBytes(32)],
    ]);
    const rotated = new TokenCipher(keys, 'test2');
    stack.deps.cipher = rotated;
    stack.activityDeps.cipher = rotated;

    await handlePsuCallback(stack.deps, callbackQuery(location));
    await waitForStatus(stack, created.id, 'active');
    await waitFor('first sync', async () => (await connectionView(stack.deps, created.id)).lastSyncAt);
    const row = stack.database.db.select().from(tokens).where(eq(tokens.connectionId, created.id)).get()!;
    expect(row.keyId).toBe('test2');
    expect((await syncNow(stack.deps, created.id, '192.0.2.1')).outcome).toBe('ok');
  });
});
