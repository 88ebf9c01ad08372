const DAY_MS = 86_400_000;

/** Days since the epoch in UTC: PSD2 daily limits roll over at UTC midnight. */
export function utcDay(epochMs: number): number {
  return Math.floor(epochMs / DAY_MS);
}

/** Epoch ms of the UTC midnight that ends the day containing `epochMs`. */
export function nextUtcMidnight(epochMs: number): number {
  return (utcDay(epochMs) + 1) * DAY_MS;
}

export function msUntilNextUtcDay(epochMs: number): number {
  return nextUtcMidnight(epochMs) - epochMs;
}
