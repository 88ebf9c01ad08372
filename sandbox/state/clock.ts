import type { OffsetSandboxClock } from './types';

/** The largest distance from the epoch a Date can represent (ECMA-262 §21.4.1.1). */
export const MAX_DATE_MS = 8.64e15;

/**
 * A manual clock that starts at `start` (default: real now) and then follows real time plus every
 * advance, so tokens expire in real time too while tests can jump days ahead. Its whole state is
 * one offset from real time, which is what a restart has to carry over (`offsetMs`/`setOffset`).
 */
export function createSandboxClock(start?: Date): OffsetSandboxClock {
  let offsetMs = start ? start.getTime() - Date.now() : 0;
  /** The offset, unless it would put the clock outside what a Date can hold (then the clock stays as it was). */
  const checked = (next: number, what: string): number => {
    if (!(Math.abs(Date.now() + next) <= MAX_DATE_MS))
      throw new RangeError(`${what} would put the clock outside the valid date range (±${MAX_DATE_MS} ms)`);
    return next;
  };
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      if (!Number.isFinite(ms)) throw new RangeError('clock advance must be a finite number of ms');
      offsetMs = checked(offsetMs + ms, 'clock advance');
    },
    set(date: Date) {
      if (Number.isNaN(date.getTime())) throw new RangeError('clock set needs a valid date');
      offsetMs = checked(date.getTime() - Date.now(), 'clock set');
    },
    offsetMs: () => offsetMs,
    setOffset(ms: number) {
      if (!Number.isFinite(ms)) throw new RangeError('clock offset must be a finite number of ms');
      offsetMs = checked(ms, 'clock offset');
    },
  };
}
