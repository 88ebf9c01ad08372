import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionView, createConnection, syncNow } from '../../services/connections';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor, waitForStatus } from './helpers';

/** Retries as the bank sees them: which requests arrived, with which ids, when. */
describe('retries as the bank sees them', () => {
  let stack: Stack;
  let connectionId: string;
  beforeAll(async () => {
    stack = await startStack();
    const created = await createConnection(stack.deps, {
      customerId: 'c-retry',
      aspspId: 'bec',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    await stack.psu(created.authorisationUrl, 'approve');
    await waitForStatus(stack, created.id, 'active');
    await waitFor('first sync', async () => (await connectionView(stack.deps, created.id)).lastSyncAt);
    connectionId = created.id;
  });
  afterAll(async () => stack?.stop());

  const accountReads = (since: number) =>
    stack.sandbox
      .requestLog('bec')
      .filter((e) => e.seq > since && e.method === 'GET' && e.path.endsWith('/v1/accounts'));
  const lastSeq = () => stack.sandbox.requestLog('bec').at(-1)?.seq ?? 0;

  it('503s are retried with backoff, each attempt a new X-Request-ID, until the bank recovers', async () => {
    const since = lastSeq();
    stack.sandbox.setFaults('bec', { errorRate: 1, errorStatus: 503 });
    const sync = syncNow(stack.deps, connectionId, '192.0.2.1');
    await waitFor('two failed attempts', () =>
      accountReads(since).filter((e) => e.status === 503).length >= 2 ? true : undefined,
    );
    stack.sandbox.setFaults('bec', { errorRate: 0 });
    expect((await sync).outcome).toBe('ok');

    const reads = accountReads(since);
    expect(reads.at(-1)!.status).toBe(200);
    const ids = reads.map((e) => e.headers['x-request-id']);
    expect(new Set(ids).size).toBe(ids.length);
    // Temporal's backoff, not a tight loop: at least a second between the first two attempts.
    expect(Date.parse(reads[1].time) - Date.parse(reads[0].time)).toBeGreaterThanOrEqual(900);
  });

  it("an attempt failing on one account's transactions keeps that account's balances, and the retry skips the account it finished", async () => {
    const transactionReads = (since: number) =>
      stack.sandbox
        .requestLog('bec')
        .filter((e) => e.seq > since && e.method === 'GET' && /\/accounts\/[^/]+\/transactions/.test(e.path));
    const resourceOf = (path: string) => path.split('/accounts/')[1].split('/')[0];
    // The order the sync reads the accounts in (the bank's listing), from the syncs so far.
    const [first, second] = [...new Set(transactionReads(0).map((e) => resourceOf(e.path)))];
    expect(second).toBeDefined();
    const rows = await stack.deps.repositories.accounts.rows(connectionId);
    const secondId = rows.find((a) => a.resourceId === second)!.id;
    const fetchedAt = async () =>
      (await stack.deps.repositories.accounts.latestBalances([secondId])).get(secondId)![0].fetchedAt;
    const before = await fetchedAt();

    const since = lastSeq();
    stack.sandbox.setFaults('bec', {
      errorRate: 1,
      errorStatus: 503,
      pathIncludes: `/accounts/${second}/transactions`,
    });
    const sync = syncNow(stack.deps, connectionId, '192.0.2.1');
    try {
      await waitFor('two failed attempts', () =>
        transactionReads(since).filter((e) => e.status === 503).length >= 2 ? true : undefined,
      );
      // The failed attempt stored the balances it had read with the account list.
      expect(await fetchedAt()).toBeGreaterThan(before);
    } finally {
      stack.sandbox.setFaults('bec', { errorRate: 0, pathIncludes: '' });
    }
    expect((await sync).outcome).toBe('ok');
    // The first account's transactions were read once: each retry started after it (the failure
    // carried the checkpoint, though the heartbeat throttle had held it back).
    const reads = transactionReads(since);
    expect(reads.filter((e) => resourceOf(e.path) === first)).toHaveLength(1);
    expect(reads.filter((e) => resourceOf(e.path) === second).at(-1)!.status).toBe(200);
  });

  it('a 429 with Retry-After is waited out, not hammered', async () => {
    const since = lastSeq();
    stack.sandbox.setLimits('bec', { perSecond: 1, perDay: null });
    try {
      expect((await syncNow(stack.deps, connectionId, '192.0.2.1')).outcome).toBe('ok');
    } finally {
      stack.sandbox.setLimits('bec', { perSecond: null, perDay: null });
    }
    const log = stack.sandbox.requestLog('bec').filter((e) => e.seq > since);
    const limited = log.filter((e) => e.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.length).toBeLessThan(log.length);
  });

  it('a permanent error is not retried: one request, and the connection says why', async () => {
    const since = lastSeq();
    // The bank now refuses our signatures (as after a QSEAL it does not know).
    const state = stack.sandbox.banks.bec.state;
    const isEnrolled = state.isEnrolled.bind(state);
    state.isEnrolled = () => false;
    await expect(syncNow(stack.deps, connectionId, '192.0.2.1')).rejects.toThrow(/CERTIFICATE_BLOCKED/);
    // Our certificate, not the customer's consent: the connection keeps its status (issue 14).
    const view = await waitForStatus(stack, connectionId, 'active');
    expect(view.lastError).toMatch(/CERTIFICATE_BLOCKED/);
    // The message names what fixes it (issue 13: BEC enrolment in production).
    expect(view.lastError).toContain('npm run -s ops -- enrol');
    expect(accountReads(since)).toHaveLength(1);
    // Enrolled again: the next sync works without the customer.
    state.isEnrolled = isEnrolled;
    expect((await syncNow(stack.deps, connectionId, '192.0.2.1')).outcome).toBe('ok');
  });
});
