import type { SandboxClock } from './types';

/**
 * A manual clock that starts at `start` (default: real now) and then follows real time plus every
 * advance, so tokens expire in real time too while tests can jump days ahead.
 */
export function createSandboxClock(start?: Date): SandboxClock {
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
  };
}
