/**
 * Two workers on one PostgreSQL database: two pools (as two worker processes have), each with its
 * own repositories, writing the same consent's counters and the same account's transactions at
 * once. The limits hold and nothing is stored twice.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPostgres, type OpenPostgres } from '../../db/pg/client';
import type { Repositories } from '../../repositories';
import { pgRepositories } from '../../repositories/pg';
import type { Transaction } from '../../xs2a/operations/types';
import { createTestDatabase } from '../helpers/postgres';

const postgresUrl = inject('postgresUrl');

/** A bank's list: some transactions with ids, some without (fingerprinted), booked and pending. */
function bankList(n: number): { booked: Transaction[]; pending: Transaction[] } {
  const list = Array.from({ length: n }, (_, i): Transaction => {
    const day = String(1 + (i % 28)).padStart(2, '0');
    // Every third booked one without an id: stored under its fingerprint.
    return {
      ...(i % 3 === 0 && i % 10 !== 0 ? {} : { transactionId: `t${i}` }),
      bookingStatus: i % 10 === 0 ? 'pending' : 'booked',
      ...(i % 10 === 0 ? {} : { bookingDate: `2025-02-${day}` }),
      transactionDate: `2025-02-${day}`,
      transactionAmount: { amount: `-${(i % 7) + 1}.00`, currency: 'DKK' },
      creditorName: `Shop ${i % 5}`,
      raw: {},
    };
  });
  return {
    booked: list.filter((t) => t.bookingStatus === 'booked'),
    pending: list.filter((t) => t.bookingStatus === 'pending'),
  };
}

describe.skipIf(!postgresUrl)(
  `PostgreSQL: two workers writing at once${postgresUrl ? '' : ` (skipped: ${inject('postgresUnavailable')})`}`,
  () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let pools: OpenPostgres[];
    let workers: Repositories[];
    beforeAll(async () => {
      database = await createTestDatabase(postgresUrl!, 'concurrency');
      pools = [await openPostgres(database.url, { max: 6 }), await openPostgres(database.url, { max: 6 })];
      workers = pools.map((p) => pgRepositories(p.db));
      await workers[0].connections.insert({
        id: 'con_c',
        customerId: 'cus',
        aspspId: 'bec',
        status: 'active',
        redirectUrl: 'https://p.example/r',
      });
    });
    afterAll(async () => {
      await Promise.all((pools ?? []).map((p) => p.close()));
      await database?.drop();
    });

    it('counting accesses for one consent never passes frequencyPerDay, however many count at once', async () => {
      const limit = 4;
      for (const endpoint of ['accounts', 'transactions:r1', 'balances:r1']) {
        const attempts = Array.from({ length: 24 }, (_, i) =>
          workers[i % 2].accessCounters.count('cns_c', endpoint, '2025-03-01', limit),
        );
        const counted = (await Promise.all(attempts)).filter(Boolean).length;
        expect(counted, endpoint).toBe(limit);
      }
      expect([...(await workers[1].accessCounters.counts('cns_c', '2025-03-01')).values()]).toEqual([4, 4, 4]);
    });

    it('upserting the same accounts and transactions at once stores each once', async () => {
      const accountsAtOnce = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          workers[i % 2].accounts.upsertAccounts(
            'con_c',
            [{ resourceId: 'r1', kind: 'account', currency: 'DKK', iban: 'DK5000400440116243' }],
            1_000 + i,
          ),
        ),
      );
      const ids = new Set(accountsAtOnce.map((m) => m.get('r1')!.id));
      expect(ids.size).toBe(1);
      expect(await workers[0].accounts.rows('con_c')).toHaveLength(1);
      const [accountId] = ids;

      const fetched = bankList(300);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          workers[i % 2].accounts.reconcileTransactions(accountId, fetched, 2_000 + i),
        ),
      );
      // One of them stored them all; the others found them stored.
      expect(results.map((r) => r.inserted).sort((a, b) => b - a)).toEqual([300, 0, 0, 0, 0, 0]);
      const rows = await workers[1].accounts.transactionRows(accountId);
      expect(rows).toHaveLength(300);
      expect(new Set(rows.map((r) => r.fingerprint)).size).toBe(300);
      const withIds = [...fetched.booked, ...fetched.pending].filter((t) => t.transactionId).length;
      expect(new Set(rows.filter((r) => r.bankTransactionId).map((r) => r.bankTransactionId)).size).toBe(withIds);
    });
  },
);
