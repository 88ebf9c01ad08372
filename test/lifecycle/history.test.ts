import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { connectionView, createConnection, reauthorise, revoke, syncNow } from '../../services/connections';
import { workflowIdFor } from '../../workflows/connection/types';
import { startStack, type Stack } from '../helpers/stack';
import { historyText, rawHistoryText, waitFor, waitForStatus } from './helpers';

const FIXTURES = join(__dirname, '../fixtures/histories');

describe('workflow history: continue-as-new, replay, and nothing secret in it', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ timing: { syncIntervalMs: 150, maxCyclesPerRun: 3 } });
  });
  afterAll(async () => stack?.stop());

  it('continues as new after maxCyclesPerRun and carries the connection over', async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-can',
      aspspId: 'enfuce-rocker',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
      frequencyPerDay: 4,
    });
    await stack.psu(created.authorisationUrl, 'approve');
    await waitForStatus(stack, created.id, 'active');
    const handle = stack.deps.temporal.workflow.getHandle(workflowIdFor(created.id));
    const firstRun = (await handle.describe()).runId;
    await waitFor(
      'a continued run',
      async () => ((await handle.describe()).runId !== firstRun ? true : undefined),
      20_000,
    );
    const view = await connectionView(stack.deps, created.id);
    expect(view.status).toBe('active');
    expect(view.consent?.frequencyPerDay).toBe(4);
    const first = await stack.deps.temporal.workflow.getHandle(workflowIdFor(created.id), firstRun).fetchHistory();
    expect(first.events?.length).toBeLessThan(150);
  });

  it("replays recorded histories (committed fixtures and this run's) through the current workflow code", async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-replay',
      aspspId: 'bec',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    await stack.psu(created.authorisationUrl, 'approve');
    await waitForStatus(stack, created.id, 'active');
    await syncNow(stack.deps, created.id, '192.0.2.1');
    await revoke(stack.deps, created.id);
    const handle = stack.deps.temporal.workflow.getHandle(workflowIdFor(created.id));
    await handle.result();
    const live = await handle.fetchHistory();
    if (process.env.RECORD_HISTORIES) {
      mkdirSync(FIXTURES, { recursive: true });
      // Binary protobuf: the SDK's JSON reader trips over its own duplicated protobufjs copies.
      writeFileSync(
        join(FIXTURES, 'bec-approve-sync-revoke.binpb'),
        temporal.api.history.v1.History.encode(live).finish(),
      );
    }
    const recorded = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.binpb'))
      .map((f) => ({
        workflowId: f,
        history: temporal.api.history.v1.History.decode(readFileSync(join(FIXTURES, f))),
      }));
    expect(recorded.length).toBeGreaterThan(0);
    // With the codec, like the worker: this run's history is encrypted, the committed fixtures
    // (recorded before encryption) are plaintext and pass through the codec unchanged.
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: stack.dataConverter },
      [...recorded, { workflowId: created.id, history: live }],
    );
    for await (const result of results) expect(result.error, result.workflowId).toBeUndefined();
  });

  it('no token, refresh token, PKCE verifier, authorisation code, OAuth state or PSU address is in any history', async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-secret',
      aspspId: 'enfuce-st1',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    const oauthState = new URL(created.authorisationUrl).searchParams.get('state');
    expect(oauthState).toBeTruthy();
    const callback = await stack.psu(created.authorisationUrl, 'approve');
    await waitForStatus(stack, created.id, 'active');
    await syncNow(stack.deps, created.id, '192.0.2.1');
    // A re-authorisation's URL (its own state) stays out too.
    const again = await reauthorise(stack.deps, created.id, '192.0.2.1');
    const againState = new URL(again.authorisationUrl).searchParams.get('state')!;
    // The secrets as the bank saw them: its state holds every token it issued for this consent.
    const state = stack.sandbox.banks['enfuce-st1'].state;
    const tokens = await stack.db.select('tokens');
    const secrets: string[] = [];
    for (const row of tokens) {
      secrets.push(stack.deps.cipher.decrypt(row.keyId, row.accessTokenEnc, `${row.connectionId}:access`));
      if (row.refreshTokenEnc)
        secrets.push(stack.deps.cipher.decrypt(row.keyId, row.refreshTokenEnc, `${row.connectionId}:refresh`));
    }
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    expect(state).toBeDefined();
    const list = stack.deps.temporal.workflow.list({
      query: `CustomerId = 'c-secret' OR CustomerId = 'c-can' OR CustomerId = 'c-replay'`,
    });
    let searched = 0;
    for await (const wf of list) {
      const text = await historyText(stack, wf.workflowId);
      // Stored encrypted: the customer id (a search attribute) is there, no payload is plaintext.
      const raw = await rawHistoryText(stack, wf.workflowId);
      expect(raw).toContain('binary/encrypted');
      expect(raw).not.toContain('\\"connectionId\\"');
      expect(text).toContain('\\"connectionId\\"');
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/code_verifier|access_token|refresh_token/);
      if (wf.workflowId === workflowIdFor(created.id)) {
        // Runs of this release: the authorisation URL (with the OAuth state) and the PSU's address
        // stay in the database; the histories carry ids and flags.
        expect(text).not.toContain(oauthState);
        expect(text).not.toContain(againState);
        expect(text).not.toContain('/v1/authorizations');
        expect(text).not.toMatch(/192\.0\.2\.1\b/);
        expect(text).not.toContain('192.0.2.10');
      }
      searched++;
    }
    expect(searched).toBeGreaterThanOrEqual(3);
    expect(callback.redirectTo).not.toContain('code=');
  });
});
