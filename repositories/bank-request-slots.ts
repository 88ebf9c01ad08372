/**
 * The fleet's request pacing per bank (GCRA, "generic cell rate algorithm"): every worker process
 * reserves each bank request's slot in the shared database before sending it. One reservation is
 * one atomic step on the bank's row:
 *
 *   slot = max(tat, now); admitted when slot - now <= maxWait and today's count < perDay;
 *   then tat = slot + interval, count + 1, and the caller waits until its slot.
 *
 * Slots are thus at least `interval` apart on one clock (PostgreSQL's clock_timestamp(), or the
 * machine's clock that the processes sharing a SQLite file read), so no 1-second window holds more
 * than 1e6 / interval slots, whichever process asked. Implementations: repositories/sqlite and
 * repositories/pg (bank-request-slots.ts); table bank_request_slots.
 */
export interface SlotRequest {
  bankId: string;
  /** Microseconds between two slots: 1e6 / requests per second, rounded up. */
  intervalUs: number;
  /** A slot further ahead than this is refused rather than waited for (the queue is too long). */
  maxWaitUs: number;
  /** Requests per UTC day (on the store's clock) for this bank; null: no daily budget. */
  perDay: number | null;
}

export type SlotReservation =
  | {
      admitted: true;
      /** The slot, epoch microseconds on the store's clock. */
      slotUs: number;
      /** How long the caller waits before sending (0 when the slot is now). */
      waitMs: number;
    }
  | {
      admitted: false;
      /** `queue`: the next slot is more than maxWait ahead; `day`: the daily budget is used up. */
      reason: 'queue' | 'day';
      retryAfterMs: number;
    };

export interface BankRequestSlotRepository {
  reserve(request: SlotRequest): Promise<SlotReservation>;
}

/** The bank's row as both stores keep it. */
export interface SlotRow {
  tatUs: number;
  day: string;
  dayCount: number;
  lastSlotUs: number | null;
}

/** perDay null as a number both stores compare with (PostgreSQL's integer). */
export const NO_DAILY_LIMIT = 2_147_483_647;

export const utcDayOf = (epochUs: number) => new Date(Math.floor(epochUs / 1000)).toISOString().slice(0, 10);

/**
 * One reservation on the row read under the store's lock (undefined: the bank's first request):
 * the new row, and the caller's answer given `nowUs`. The PostgreSQL store does the same in SQL.
 */
export function reserveSlot(
  row: SlotRow | undefined,
  nowUs: number,
  request: SlotRequest,
): { row: SlotRow; reservation: SlotReservation } {
  const today = utcDayOf(nowUs);
  const used = row && row.day === today ? row.dayCount : 0;
  const slot = Math.max(row?.tatUs ?? nowUs, nowUs);
  const perDay = request.perDay ?? NO_DAILY_LIMIT;
  const admitted = slot - nowUs <= request.maxWaitUs && used < perDay;
  const next: SlotRow = admitted
    ? { tatUs: slot + request.intervalUs, day: today, dayCount: used + 1, lastSlotUs: slot }
    : { tatUs: row?.tatUs ?? nowUs, day: today, dayCount: used, lastSlotUs: null };
  return { row: next, reservation: answer(next, nowUs, request) };
}

/** The caller's answer from the row as written by its own reservation. */
export function answer(row: SlotRow, nowUs: number, request: SlotRequest): SlotReservation {
  if (row.lastSlotUs !== null)
    return { admitted: true, slotUs: row.lastSlotUs, waitMs: Math.max(0, (row.lastSlotUs - nowUs) / 1000) };
  if (row.dayCount >= (request.perDay ?? NO_DAILY_LIMIT)) {
    const midnightMs = Date.parse(`${row.day}T00:00:00Z`) + 86_400_000;
    return { admitted: false, reason: 'day', retryAfterMs: Math.max(1, Math.ceil(midnightMs - nowUs / 1000)) };
  }
  return {
    admitted: false,
    reason: 'queue',
    retryAfterMs: Math.max(1, Math.ceil((row.tatUs - nowUs - request.maxWaitUs) / 1000)),
  };
}
