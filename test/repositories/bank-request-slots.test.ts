/**
 * The fleet's request pacing (repositories/bank-request-slots.ts behind banks/fleet-limiter.ts):
 * two limiters on two PostgreSQL pools, and two processes on one SQLite file, hammer one bank;
 * together they never exceed its rate in any 1-second window (as slots, and as the bank's own
 * token bucket sees the grants), and reach at least 95% of it.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPostgres, type OpenPostgres } from '../../db/pg/client';
import type { BankRequestSlotRepository, SlotRequest } from '../../repositories/bank-request-slots';
import { pgBankRequestSlots } from '../../repositories/pg/bank-request-slots';
import { sqliteBankRequestSlots } from '../../repositories/sqlite/bank-request-slots';
import { RateLimiter } from '../../sandbox/rate-limit';
import { tempDatabase } from '../helpers/db';
import { createTestDatabase } from '../helpers/postgres';
import { hammer, type HammerResult } from '../helpers/slot-hammer';

const PER_SECOND = 20;
const DURATION_MS = 3_000;
const CALLERS = 4;

/** The most slots (µs) in any half-open 1-second window. */
function maxInAnySecond(slotsUs: number[]): number {
  const s = [...slotsUs].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (j < s.length && s[j] < s[i] + 1_000_000) j++;
    max = Math.max(max, j - i);
  }
  return max;
}

/** How many grants (ms) the bank's token bucket (sandbox/rate-limit.ts, full at the start) would refuse. */
function refusedByBank(grantsMs: number[], perSecond: number): number {
  const times = [...grantsMs].sort((a, b) => a - b);
  let t = times[0];
  const bucket = new RateLimiter(
    () => new Date(t),
    () => t,
  );
  bucket.set({ perSecond, perDay: null });
  let refused = 0;
  for (const at of times) {
    t = at;
    if (!bucket.take().allowed) refused++;
  }
  return refused;
}

function judge(label: string, results: HammerResult[], startAt: number) {
  const slots = results.flatMap((r) => r.slots);
  const grants = results.flatMap((r) => r.grants);
  const inWindow = grants.filter((g) => g >= startAt && g < startAt + DURATION_MS).length;
  const share = inWindow / ((PER_SECOND * DURATION_MS) / 1000);
  const figures = {
    grants: grants.length,
    perProcess: results.map((r) => r.grants.length),
    maxSlotsInAnySecond: maxInAnySecond(slots),
    maxGrantsInAnySecond: maxInAnySecond(grants.map((g) => g * 1000)),
    refusedByBankBucket: refusedByBank(grants, PER_SECOND),
    shareOfAllowed: Math.round(share * 1000) / 1000,
  };
  console.log(`[bank-request-slots] ${label}: ${JSON.stringify(figures)}`);
  // Both took part, the slots never exceed the rate, the bank would refuse nothing, and the rate is used.
  for (const r of results) expect(r.grants.length).toBeGreaterThan(PER_SECOND / 2);
  expect(results.every((r) => r.refused === 0)).toBe(true);
  expect(figures.maxSlotsInAnySecond).toBeLessThanOrEqual(PER_SECOND);
  expect(figures.refusedByBankBucket).toBe(0);
  expect(share).toBeGreaterThanOrEqual(0.95);
}

/** The daily budget and the queue bound, on any store. */
async function refusals(store: BankRequestSlotRepository) {
  const daily: SlotRequest = { bankId: 'daily', intervalUs: 1_000, maxWaitUs: 1_000_000, perDay: 3 };
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await store.reserve(daily));
  expect(answers.slice(0, 3).every((a) => a.admitted)).toBe(true);
  const refusedDay = answers[3];
  expect(refusedDay).toMatchObject({ admitted: false, reason: 'day' });
  if (!refusedDay.admitted) {
    expect(refusedDay.retryAfterMs).toBeGreaterThan(0);
    expect(refusedDay.retryAfterMs).toBeLessThanOrEqual(86_400_000);
  }

  // One slot a second, at most 1.5 s of queue: now, +1 s, then refused (≈ 0.5 s too far ahead).
  const queued: SlotRequest = { bankId: 'queued', intervalUs: 1_000_000, maxWaitUs: 1_500_000, perDay: null };
  const [first, second, third] = [
    await store.reserve(queued),
    await store.reserve(queued),
    await store.reserve(queued),
  ];
  expect(first).toMatchObject({ admitted: true });
  expect(second).toMatchObject({ admitted: true });
  if (!first.admitted || !second.admitted) throw new Error('unreachable');
  expect(second.slotUs - first.slotUs).toBe(1_000_000);
  expect(first.waitMs).toBeLessThan(50);
  expect(second.waitMs).toBeGreaterThan(900);
  expect(second.waitMs).toBeLessThanOrEqual(1_000);
  expect(third).toMatchObject({ admitted: false, reason: 'queue' });
  if (!third.admitted) {
    expect(third.retryAfterMs).toBeGreaterThan(400);
    expect(third.retryAfterMs).toBeLessThanOrEqual(510);
  }
  // A refusal takes no slot: another bank is paced on its own, and the queue moves as before.
  expect(await store.reserve({ ...queued, bankId: 'other' })).toMatchObject({ admitted: true, waitMs: 0 });
}

describe('bank request slots on SQLite: two processes on one file', () => {
  const database = tempDatabase();
  afterAll(() => database.remove());

  it(`never exceed ${PER_SECOND}/s together in any second and reach ≥ 95% of it`, async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(__dirname, '../fixtures/slot-hammer-process.ts'),
        JSON.stringify({
          dbPath: database.path,
          bankId: 'enfuce-rocker',
          perSecond: PER_SECOND,
          callers: CALLERS,
          durationMs: DURATION_MS,
        }),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`slot hammer exited with ${code}`)));
    });
    const startAt = Date.now() + 300;
    child.stdin.end(`${startAt}\n`);
    const mine = await hammer(sqliteBankRequestSlots(database.db), {
      bankId: 'enfuce-rocker',
      perSecond: PER_SECOND,
      callers: CALLERS,
      startAt,
      durationMs: DURATION_MS,
    });
    expect(await exited).toBe(0);
    const theirs = JSON.parse(out.slice(out.indexOf('ready\n') + 6).trim()) as HammerResult;
    judge('sqlite, 2 processes', [mine, theirs], startAt);
  }, 30_000);

  it('refuses beyond the daily budget and beyond the longest wait, without taking a slot', async () => {
    await refusals(sqliteBankRequestSlots(database.db));
  });
});

const postgresUrl = inject('postgresUrl');
describe.skipIf(!postgresUrl)(
  `bank request slots on PostgreSQL: two pools${postgresUrl ? '' : ` (skipped: ${inject('postgresUnavailable')})`}`,
  () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let pools: OpenPostgres[];
    beforeAll(async () => {
      database = await createTestDatabase(postgresUrl!, 'slots');
      pools = [await openPostgres(database.url, { max: 4 }), await openPostgres(database.url, { max: 4 })];
    });
    afterAll(async () => {
      await Promise.all((pools ?? []).map((p) => p.close()));
      await database?.drop();
    });

    it(`never exceed ${PER_SECOND}/s together in any second and reach ≥ 95% of it`, async () => {
      const startAt = Date.now() + 100;
      const results = await Promise.all(
        pools.map((pool) =>
          hammer(pgBankRequestSlots(pool.db), {
            bankId: 'enfuce-rocker',
            perSecond: PER_SECOND,
            callers: CALLERS,
            startAt,
            durationMs: DURATION_MS,
          }),
        ),
      );
      judge('postgres, 2 pools', results, startAt);
    }, 30_000);

    it('refuses beyond the daily budget and beyond the longest wait, without taking a slot', async () => {
      await refusals(pgBankRequestSlots(pools[0].db));
    });
  },
);
