/** Most entries in any half-open 1-second window (times in ms). */
export function maxInAnySecond(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (j < s.length && s[j] < s[i] + 1_000) j++;
    max = Math.max(max, j - i);
  }
  return max;
}
