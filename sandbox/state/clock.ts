import type { OffsetSandboxClock } from './types';

/**
 * A manual clock that starts at `start` (default: real now) and then follows real time plus every
 * advance, so tokens expire in real time too while tests can jump days ahead. Its whole state is
 * one offset from real time, which is what a restart has to carry over (`offsetMs`/`setOffset`).
 */
export function createSandboxClock(start?: Date): OffsetSandboxClock {
  let offsetMs = start ? start.getTime() - Date.now() : 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      if (!Number.isFinite(ms)) throw new RangeError('clock advance must be a finite number of ms');
      offsetMs += ms;
    },
    set(date: Date) {
      if (Number.isNaN(date.getTime())) throw new RangeError('clock set needs a valid date');
      offsetMs = date.getTime() - Date.now();
    },
    offsetMs: () => offsetMs,
    setOffset(ms: number) {
      if (!Number.isFinite(ms)) throw new RangeError('clock offset must be a finite number of ms');
      offsetMs = ms;
    },
  };
}
