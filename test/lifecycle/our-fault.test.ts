/**
 * Our misconfiguration against the sandbox banks, end to end: the customer's connection keeps its
 * status, lastError says what is wrong on our side, a metric counts it, and fixing the
 * configuration is enough (no new approval for a connection that was working).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBankDirectory } from '../../banks/directory';
import { sandboxBankSetups } from '../../banks/sandbox-setup';
import { metrics } from '../../metrics/registry';
import { TokenCipher } from '../../secrets/token-cipher';
import { connectionView, createConnection, reauthorise, syncNow } from '../../services/connections';
import { generateSandboxCertificates } from '../../xs2a/certs';
import { startTestWorker, type TestWorker } from '../helpers/temporal';
import { startStack, type Stack } from '../helpers/stack';
import { testLogger } from '../helpers/logger';
import { waitForStatus } from './helpers';

describe('our fault is not the customer’s fault (sandbox banks)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.stop());

  /** Swaps the stack's worker for one built with `deps`, runs `fn`, and puts the good worker back. */
  async function withMisconfiguredWorker(deps: Partial<Stack['activityDeps']>, fn: () => Promise<void>): Promise<void> {
    await stack.stopWorker();
    let bad: TestWorker | undefined;
    try {
      bad = await startTestWorker(
        { ...stack.activityDeps, ...deps },
        { taskQueue: stack.deps.taskQueue, dataConverter: stack.dataConverter },
      );
      await fn();
    } finally {
      await bad?.stop();
      await stack.startWorker();
    }
  }

  it('a bank CA that does not trust the bank: the active connection stays active with lastError, and recovers once fixed', async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-ca',
      aspspId: 'bec',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    await stack.psu(created.authorisationUrl, 'approve');
    await waitForStatus(stack, created.id, 'active');

    const wrongCa = generateSandboxCertificates().ca.certificatePem;
    const banks = createBankDirectory(
      sandboxBankSetups(stack.sandbox, stack.tpp).map((s) => ({
        ...s,
        credentials: { ...s.credentials, bankCaPem: wrongCa },
      })),
      testLogger(),
      { now: () => stack.sandbox.clock.now().getTime() },
    );
    const before = await metrics.ourFaults.get({ aspsp: 'bec', kind: 'configuration' });
    try {
      await withMisconfiguredWorker({ banks }, async () => {
        await expect(syncNow(stack.deps, created.id)).rejects.toThrow(/not trusted by the configured CA bundle/);
        const view = await connectionView(stack.deps, created.id);
        expect(view.status).toBe('active');
        expect(view.lastError).toMatch(/not trusted by the configured CA bundle/);
        const row = await stack.deps.repositories.connections.get(created.id);
        expect(row).toMatchObject({ status: 'active', lastError: expect.stringMatching(/CA bundle/) });
      });
    } finally {
      await banks.close();
    }
    expect(await metrics.ourFaults.get({ aspsp: 'bec', kind: 'configuration' })).toBeGreaterThan(before);

    // Fixed (the good worker is back): the next sync works and clears lastError, no re-approval.
    const summary = await syncNow(stack.deps, created.id);
    expect(summary.outcome).toBe('ok');
    const view = await connectionView(stack.deps, created.id);
    expect(view.status).toBe('active');
    expect(view.lastError).toBeUndefined();
  });

  it('TOKEN_ENCRYPTION_KEYS differing between API and worker: the create names the cause and the connection is not failed', async () => {
    // The same key id with other key material (a copy-paste slip between the two processes).
    const otherCipher = new TokenCipher(new Map([[stack.cipherKey.id, randomBytes(32)]]));
    await withMisconfiguredWorker({ cipher: otherCipher }, async () => {
      // The worker stores the PSU's authorisation URL encrypted (it carries the OAuth state); an API
      // with other key material cannot read it: the create names the cause, nobody is sent to the bank.
      const connectionId = `con_keys_${randomBytes(4).toString('hex')}`;
      await expect(
        createConnection(stack.deps, {
          customerId: 'c-keys',
          aspspId: 'enfuce-rocker',
          redirectUrl: 'https://p.example/r',
          psuIpAddress: '192.0.2.1',
          connectionId,
        }),
      ).rejects.toThrow(/TOKEN_ENCRYPTION_KEYS differ between processes/);
      // Our mistake, not the customer's: the connection is not failed.
      const row = await stack.deps.repositories.connections.get(connectionId);
      expect(row?.status).toBe('awaiting_authorisation');
    });
  });

  it('a wrong Enfuce API key: no reauth_required for the customer; a re-authorisation works once fixed', async () => {
    const banks = createBankDirectory(
      sandboxBankSetups(stack.sandbox, stack.tpp).map((s) =>
        s.profile.id === 'enfuce-rocker'
          ? { ...s, profile: { ...s.profile, oauth: { ...s.profile.oauth!, apiKey: 'not-our-key' } } }
          : s,
      ),
      testLogger(),
      { now: () => stack.sandbox.clock.now().getTime() },
    );
    let id = '';
    try {
      await withMisconfiguredWorker({ banks }, async () => {
        const created = createConnection(stack.deps, {
          customerId: 'c-apikey',
          aspspId: 'enfuce-rocker',
          redirectUrl: 'https://p.example/r',
          psuIpAddress: '192.0.2.1',
          connectionId: `con_apikey_${randomBytes(4).toString('hex')}`,
        });
        await expect(created).rejects.toThrow(/did not start an authorisation/);
        const row = (await stack.deps.repositories.connections.listByCustomer('c-apikey'))[0];
        id = row.id;
        const view = await connectionView(stack.deps, id);
        expect(view.status).toBe('awaiting_authorisation');
        expect(view.lastError).toMatch(/refused our client credentials or API key/);
      });
    } finally {
      await banks.close();
    }
    const again = await reauthorise(stack.deps, id);
    await stack.psu(again.authorisationUrl, 'approve');
    await waitForStatus(stack, id, 'active');
  });
});
