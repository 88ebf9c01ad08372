/**
 * A bank's rate limit holds for the fleet: two worker processes (test/fixtures/worker-process.ts)
 * on one task queue create and sync many Enfuce connections against the sandbox's 5 requests/s,
 * and the bank answers 429 not once. Both processes pace through bank_request_slots (the SQLite
 * file they share, or PostgreSQL via DATABASE_URL) after their own in-process budgets; each of
 * those alone allows 5/s, so two of them without the shared limit would exceed the bank's.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RequestLogEntry } from '../../sandbox';
import { createConnection, syncNow } from '../../services/connections';
import { workflowIdFor } from '../../workflows/connection/types';
import { killChild, startChildWorker } from '../helpers/child-worker';
import { startStack, type Stack } from '../helpers/stack';
import { waitFor } from './helpers';
import { maxInAnySecond } from '../helpers/rate-window';

const BANK = 'enfuce-rocker';
const PER_SECOND = 5;
const CONNECTIONS = 10;
const SYNCS_PER_CONNECTION = 2;
const PSU_IP = '192.0.2.1';

const postgresUrl = inject('postgresUrl');
const variants = [
  { name: 'slots in the shared SQLite file', skip: undefined as string | undefined, pg: false },
  {
    name: 'slots on PostgreSQL (DATABASE_URL)',
    skip: postgresUrl ? undefined : (inject('postgresUnavailable') ?? 'PostgreSQL is not available'),
    pg: true,
  },
];

for (const variant of variants) {
  describe.skipIf(Boolean(variant.skip))(
    `two worker processes, one bank limit: ${variant.name}${variant.skip ? ` (skipped: ${variant.skip})` : ''}`,
    () => {
      let stack: Stack;
      let children: ChildProcess[] = [];
      beforeAll(async () => {
        // The whole stack on the variant's backend: the services write where the workers read.
        stack = await startStack({ backend: variant.pg ? 'postgres' : 'sqlite' });
      });
      afterAll(async () => {
        await Promise.all(children.map(killChild));
        await stack?.stop();
      });

      it(`${CONNECTIONS} connections created and synced: 0 × 429 at ${PER_SECOND}/s`, async () => {
        stack.sandbox.setLimits(BANK, { perSecond: PER_SECOND, perDay: null });
        const log = () => stack.sandbox.requestLog(BANK);
        const mark = log().at(-1)?.seq ?? 0;
        await stack.stopWorker();
        children = await Promise.all([startChildWorker(stack, 'fleet-1'), startChildWorker(stack, 'fleet-2')]);

        const ids = await Promise.all(
          Array.from({ length: CONNECTIONS }, async (_, i) => {
            const created = await createConnection(stack.deps, {
              customerId: `c-fleet-${i}`,
              aspspId: BANK,
              redirectUrl: 'https://p.example/r',
              psuIpAddress: PSU_IP,
            });
            await stack.psu(created.authorisationUrl, 'approve');
            return created.id;
          }),
        );
        const okRuns = async (id: string) =>
          (await stack.db.select('syncRuns', { connectionId: id, outcome: 'ok' })).length;
        await waitFor(
          'every first sync',
          async () => (await Promise.all(ids.map(okRuns))).every((n) => n >= 1) || undefined,
          120_000,
        );

        // Every connection syncs again and again, all at once: the bank's budget is the bottleneck.
        const syncMark = log().at(-1)?.seq ?? 0;
        const started = Date.now();
        await Promise.all(
          ids.map(async (id) => {
            for (let n = 0; n < SYNCS_PER_CONNECTION; n++) {
              const result = await syncNow(stack.deps, id, PSU_IP);
              expect(result.outcome).toBe('ok');
            }
          }),
        );
        const seconds = (Date.now() - started) / 1000;

        // The PSU's pages at the bank (no client certificate) are outside its API limit.
        const authorizePath = new URL(stack.banks.get(BANK).profile.oauth!.authorizeUrl).pathname;
        const api = (e: RequestLogEntry) => e.seq > mark && e.path !== authorizePath;
        const entries = log().filter(api);
        const syncPhase = entries.filter((e) => e.seq > syncMark);
        const status429 = entries.filter((e) => e.status === 429).length;
        const figures = {
          requests: entries.length,
          status429,
          maxReceivedInAnySecond: maxInAnySecond(entries.map((e) => Date.parse(e.time))),
          syncPhase: {
            syncs: CONNECTIONS * SYNCS_PER_CONNECTION,
            requests: syncPhase.length,
            seconds: Math.round(seconds * 10) / 10,
            shareOfAllowed: Math.round((syncPhase.length / seconds / PER_SECOND) * 1000) / 1000,
          },
        };
        console.log(`[fleet-rate-limit] ${variant.name}: ${JSON.stringify(figures)}`);
        expect(status429).toBe(0);
        expect(figures.syncPhase.requests).toBeGreaterThanOrEqual(CONNECTIONS * SYNCS_PER_CONNECTION * 2);
        // The bank's budget is used, not left idle by the task queue's or the slots' own pacing.
        expect(figures.syncPhase.shareOfAllowed).toBeGreaterThanOrEqual(0.85);

        // Both processes called the bank, and paced through the shared slots.
        const identities = new Set<string>();
        for (const id of ids) {
          const history = await stack.deps.temporal.workflow.getHandle(workflowIdFor(id)).fetchHistory();
          for (const e of history.events ?? []) {
            const identity = e.activityTaskStartedEventAttributes?.identity;
            if (identity) identities.add(identity);
          }
        }
        expect(identities.size).toBe(2);
        const slots = await stack.db.select('bankRequestSlots');
        expect(slots.map((r) => [r.bankId, r.dayCount])).toEqual([[BANK, entries.length]]);
      }, 240_000);
    },
  );
}
