import { sql } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { answer, NO_DAILY_LIMIT, type BankRequestSlotRepository } from '../bank-request-slots';

/** Epoch microseconds and the UTC day of one clock_timestamp() reading, as a one-row subquery `k`. */
const clock = sql.raw(`(SELECT (extract(epoch FROM t) * 1000000)::bigint AS now_us,
              to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS today
       FROM (SELECT clock_timestamp() AS t) c) k`);

/**
 * One statement per request (the same rule as reserveSlot in ../bank-request-slots.ts): the
 * upsert locks the bank's row, and the SET's own clock_timestamp() is read once the lock is held,
 * so workers on any number of machines are paced by the database's one clock. The decision is
 * written into the row (last_slot_us null: refused), which RETURNING hands back with a fresh clock
 * reading for the caller's wait.
 */
export function pgBankRequestSlots(db: PgDb): BankRequestSlotRepository {
  return {
    async reserve(request) {
      const interval = request.intervalUs;
      const perDay = request.perDay ?? NO_DAILY_LIMIT;
      const result = await db.execute<{
        tat_us: string;
        day: string;
        day_count: number;
        last_slot_us: string | null;
        now_us: string;
      }>(sql`
        INSERT INTO bank_request_slots AS s (bank_id, tat_us, day, day_count, last_slot_us)
        SELECT ${request.bankId}, k.now_us + ${interval}::bigint, k.today, 1, k.now_us FROM ${clock}
        ON CONFLICT (bank_id) DO UPDATE SET (tat_us, day, day_count, last_slot_us) = (
          SELECT CASE WHEN d.admit THEN d.slot + ${interval}::bigint ELSE s.tat_us END,
                 d.today,
                 d.used + CASE WHEN d.admit THEN 1 ELSE 0 END,
                 CASE WHEN d.admit THEN d.slot END
          FROM (SELECT e.slot, e.today, e.used,
                       (e.slot - e.now_us <= ${request.maxWaitUs}::bigint AND e.used < ${perDay}::integer) AS admit
                FROM (SELECT k.now_us, k.today, GREATEST(s.tat_us, k.now_us) AS slot,
                             CASE WHEN s.day = k.today THEN s.day_count ELSE 0 END AS used
                      FROM ${clock}) e) d
        )
        RETURNING s.tat_us, s.day, s.day_count, s.last_slot_us,
                  (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now_us`);
      const row = result.rows[0];
      return answer(
        {
          tatUs: Number(row.tat_us),
          day: row.day,
          dayCount: Number(row.day_count),
          lastSlotUs: row.last_slot_us === null ? null : Number(row.last_slot_us),
        },
        Number(row.now_us),
        request,
      );
    },
  };
}
