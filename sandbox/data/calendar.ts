/** UTC calendar arithmetic on day numbers (days since 1970-01-01), the ledger's unit of time. */

const DAY_MS = 86_400_000;

export type DayNumber = number;

export function dayOf(date: Date): DayNumber {
  return Math.floor(date.getTime() / DAY_MS);
}

/** Days → YYYY-MM-DD without a Date (H. Hinnant's civil_from_days): the ledger formats thousands per listing. */
export function dayToIso(day: DayNumber): string {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 0 || y > 9999) return new Date(day * DAY_MS).toISOString().slice(0, 10);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** Parses YYYY-MM-DD strictly (a real calendar date), or returns undefined. */
export function isoToDay(iso: string): DayNumber | undefined {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(iso)) return undefined;
  const ms = Date.parse(iso + 'T00:00:00Z');
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== iso) return undefined;
  return ms / DAY_MS;
}

/** Month index (months since 1970-01) of a day. */
export function monthOf(day: DayNumber): number {
  const d = new Date(day * DAY_MS);
  return d.getUTCFullYear() * 12 + d.getUTCMonth() - 1970 * 12;
}

export function firstDayOfMonth(month: number): DayNumber {
  return Date.UTC(1970 + Math.floor(month / 12), month % 12, 1) / DAY_MS;
}

export function dayOfMonth(day: DayNumber): number {
  return new Date(day * DAY_MS).getUTCDate();
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(day: DayNumber): number {
  return new Date(day * DAY_MS).getUTCDay();
}

/** The last Monday–Friday of a month: when Danish salaries are paid. */
export function lastWeekdayOfMonth(month: number): DayNumber {
  let day = firstDayOfMonth(month + 1) - 1;
  while (weekday(day) === 0 || weekday(day) === 6) day--;
  return day;
}

export function addDays(iso: string, days: number): string {
  const day = isoToDay(iso);
  if (day === undefined) throw new RangeError(`not a date: ${iso}`);
  return dayToIso(day + days);
}
