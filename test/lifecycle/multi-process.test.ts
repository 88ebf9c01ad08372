/**
 * The service as several processes, the issue's proof: one Temporal server (the run's), one
 * database, two worker processes and one API process (test/fixtures/{worker,api}-process.ts),
 * the sandbox banks in this process. Thirty connections (BEC, Rocker, ST1) are created through the
 * API, approved by the PSU at the bank and through the API's /callback, synced; one worker is
 * SIGKILLed while the connections sync again. Every sync completes on the survivor, every stored
 * transaction is the bank's once, and each Enfuce bank, limited to 5 requests/s, answers 0 × 429.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../../sandbox';
import { workflowIdFor } from '../../workflows/connection/types';
import type { ApiProcessConfig } from '../fixtures/api-process';
import { killChild, stackProcessConfig, startChildWorker, startFixtureProcess } from '../helpers/child-worker';
import { psuDecides } from '../helpers/psu';
import { testBackends } from '../helpers/backends';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from './helpers';
import { maxInAnySecond } from '../helpers/rate-window';

const LIMITED = ['enfuce-rocker', 'enfuce-st1'] as const;
const BANKS = ['bec', ...LIMITED] as const;
/**
 * 10 at each bank: at Rocker's and ST1's 5 requests/s, 10 concurrent syncs per bank wait seconds for
 * their request slots, longer than the 2 s heartbeat timeout here; the sync keeps beating while it
 * waits, so no attempt is retried while it is merely queued (before it did, and the queue thrashed).
 */
const PER_BANK: Record<(typeof BANKS)[number], number> = { bec: 10, 'enfuce-rocker': 10, 'enfuce-st1': 10 };
const PER_SECOND = 5;
const PSU_IP = '192.0.2.1';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function startApiProcess(config: ApiProcessConfig): Promise<ChildProcess> {
  const configPath = join(tmpdir(), `api-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  return startFixtureProcess('api-process.ts', 'API_CONFIG', configPath, config, 'API process');
}

// The issue's proof is on PostgreSQL, what several machines share; skipped (saying why) only when
// the run could not start it. SQLite, one file for the processes of one machine, is not the claim.
const postgres = testBackends().find((c) => c.name === 'postgres')!;
const backend = 'postgres';

describe.skipIf(Boolean(postgres.skip))(
  `two worker processes and an API process on PostgreSQL${postgres.skip ? ` (skipped: ${postgres.skip})` : ''}`,
  () => {
    let stack: Stack;
    const children: ChildProcess[] = [];
    beforeAll(async () => {
      stack = await startStack({ backend, timing: { syncHeartbeatTimeoutMs: 2_000 } });
    });
    afterAll(async () => {
      await Promise.all(children.map(killChild));
      await stack?.stop();
    });

    /** Rows of the processes' database (the same SQL on both backends). */
    async function rows<T>(sql: string): Promise<T[]> {
      if (!stack.db.databaseUrl) return stack.database.sqlite.prepare(sql).all() as T[];
      const client = new Client({ connectionString: stack.db.databaseUrl });
      await client.connect();
      try {
        return (await client.query(sql)).rows as T[];
      } finally {
        await client.end();
      }
    }

    it(`30 connections created, approved and synced; a worker SIGKILLed mid-run`, async () => {
      for (const bank of LIMITED) stack.sandbox.setLimits(bank, { perSecond: PER_SECOND, perDay: null });
      await stack.stopWorker();
      const apiPort = await freePort();
      const apiUrl = `http://127.0.0.1:${apiPort}`;
      const apiKey = `obk_${randomBytes(24).toString('base64url')}`;
      const shared = { callbackUrl: `${apiUrl}/callback` };
      const [api, first, second] = await Promise.all([
        startApiProcess({
          ...stackProcessConfig(stack),
          port: apiPort,
          apiKey,
          ...shared,
        }),
        startChildWorker(stack, 'multi-1', shared),
        startChildWorker(stack, 'multi-2', shared),
      ]);
      children.push(api, first, second);

      const call = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${apiUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const marks = Object.fromEntries(BANKS.map((b) => [b, stack.sandbox.requestLog(b).at(-1)?.seq ?? 0]));

      // Created through the API, approved at the bank, the bank's redirect followed to the API's /callback.
      const connections = await Promise.all(
        BANKS.flatMap((aspspId) =>
          Array.from({ length: PER_BANK[aspspId] }, async (_, i) => {
            const created = await call('POST', '/v1/connections', {
              aspspId,
              customerId: `c-multi-${aspspId}-${i}`,
              redirectUrl: 'https://product.example/done',
            });
            expect(created.status, JSON.stringify(created.body)).toBe(201);
            const { location } = await psuDecides(
              String(created.body.authorisationUrl),
              stack.sandbox.serverCaPem,
              'approve',
            );
            expect(location.startsWith(`${apiUrl}/callback`)).toBe(true);
            const callback = await fetch(location, { redirect: 'manual' });
            expect([200, 302, 303]).toContain(callback.status);
            return { id: String(created.body.id), aspspId };
          }),
        ),
      );
      const view = async (id: string) => (await call('GET', `/v1/connections/${id}`)).body;
      let views: Record<string, unknown>[] = [];
      await waitFor(
        'every connection active and synced',
        async () => {
          views = await Promise.all(connections.map((c) => view(c.id)));
          return views.every((v) => v.status === 'active' && v.lastSyncAt) || undefined;
        },
        60_000,
      ).catch((err: Error) => {
        const waiting = views.filter((v) => !(v.status === 'active' && v.lastSyncAt));
        // What each limited bank was asked, by endpoint and status: where the time went.
        for (const b of LIMITED) {
          const byCall: Record<string, number> = {};
          for (const e of stack.sandbox.requestLog(b).filter((e) => e.seq > marks[b])) {
            const key = `${e.method} ${e.path.replace(/[0-9a-f-]{20,}/g, ':id')} ${e.status}`;
            byCall[key] = (byCall[key] ?? 0) + 1;
          }
          console.log(`[multi-process] ${b}: ${JSON.stringify(byCall)}`);
        }
        throw new Error(`${err.message}: ${JSON.stringify(waiting.slice(0, 3))} (${waiting.length} waiting)`);
      });

      // Every connection syncs again at once; one worker dies while the syncs run.
      const syncMarks = Object.fromEntries(BANKS.map((b) => [b, stack.sandbox.requestLog(b).at(-1)?.seq ?? 0]));
      const syncs = Promise.all(
        connections.map(({ id }) => call('POST', `/v1/connections/${id}/sync`, { psuIpAddress: PSU_IP })),
      );
      await waitFor(
        'syncs under way',
        () => LIMITED.every((b) => stack.sandbox.requestLog(b).filter((e) => e.seq > syncMarks[b]).length >= 5),
        30_000,
      );
      await killChild(first);
      const answers = await syncs;
      for (const a of answers) {
        expect(a.status, JSON.stringify(a.body)).toBe(200);
        expect(a.body.outcome).toBe('ok');
      }

      // No transaction stored twice: each account's rows are the bank's list, one row per transaction.
      const consents = await rows<{ connection_id: string; bank_consent_id: string }>(
        'SELECT connection_id, bank_consent_id FROM consents',
      );
      const accounts = await rows<{ id: string; connection_id: string; resource_id: string }>(
        'SELECT id, connection_id, resource_id FROM accounts',
      );
      const stored = await rows<{ account_id: string; bank_transaction_id: string; date: string }>(
        'SELECT account_id, bank_transaction_id, date FROM transactions',
      );
      let compared = 0;
      for (const { id, aspspId } of connections) {
        const consentId = consents.find((c) => c.connection_id === id)!.bank_consent_id;
        const own = accounts.filter((a) => a.connection_id === id);
        expect(own.length).toBeGreaterThan(0);
        for (const account of own) {
          const bankList = stack.sandbox.banks[aspspId].state.transactions(consentId, account.resource_id, {
            bookingStatus: 'both',
            dateFrom: '2000-01-01',
          });
          // The bank serves a rolling window; rows older than its far end are ours to keep.
          const oldest = bankList.map((t) => t.bookingDate ?? t.transactionDate ?? t.valueDate).sort()[0] ?? '';
          const ours = stored
            .filter((t) => t.account_id === account.id && t.date >= oldest)
            .map((t) => t.bank_transaction_id)
            .sort();
          expect(ours).toEqual(bankList.map((t) => t.transactionId).sort());
          compared += ours.length;
        }
      }
      expect(compared).toBeGreaterThan(0);

      // The survivor finished what the killed worker held; both had worked before.
      const identities = new Set<string>();
      for (const { id } of connections) {
        const history = await stack.deps.temporal.workflow.getHandle(workflowIdFor(id)).fetchHistory();
        for (const e of history.events ?? []) {
          const identity = e.activityTaskStartedEventAttributes?.identity;
          if (identity) identities.add(identity);
        }
      }
      expect(identities.size).toBe(2);

      // Each Enfuce bank saw no more than it allows: not one 429 (its own judgement of its limit).
      const figures: Record<string, unknown> = { backend, connections: connections.length };
      for (const bank of LIMITED) {
        const authorizePath = new URL(stack.banks.get(bank).profile.oauth!.authorizeUrl).pathname;
        const api = (e: RequestLogEntry) => e.seq > marks[bank] && e.path !== authorizePath;
        const entries = stack.sandbox.requestLog(bank).filter(api);
        const status429 = entries.filter((e) => e.status === 429).length;
        figures[bank] = {
          requests: entries.length,
          status429,
          maxReceivedInAnySecond: maxInAnySecond(entries.map((e) => Date.parse(e.time))),
        };
        expect(status429).toBe(0);
        expect(entries.length).toBeGreaterThanOrEqual(PER_BANK[bank] * 4);
      }
      console.log(`[multi-process] ${JSON.stringify(figures)}`);
    }, 120_000);
  },
);
