const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses "250ms", "30s", "15m", "6h", "90d" or a bare number of milliseconds.
 * Durations are plain millisecond numbers everywhere else so that workflows can
 * pass them to sleep() and compare them without a library.
 */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) {
    throw new Error(`"${text}" is not a duration (use e.g. 500ms, 30s, 15m, 6h, 7d)`);
  }
  const value = Number(match[1]);
  const unit = match[2] ?? 'ms';
  return Math.round(value * UNIT_MS[unit]);
}
