/** Amounts are held as integer minor units (all sandbox currencies have 2 decimals) and written as strings. */

export function formatMinor(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Parses a Berlin Group amount (-?[0-9]{1,14}(\.[0-9]{1,3})?) into minor units; undefined if malformed or sub-cent. */
export function parseMinor(amount: string): number | undefined {
  const match = /^(-?)([0-9]{1,14})(?:\.([0-9]{1,3}))?$/.exec(amount);
  if (!match) return undefined;
  const fraction = (match[3] ?? '').padEnd(3, '0');
  if (fraction[2] !== '0') return undefined;
  const minor = Number(match[2]) * 100 + Number(fraction.slice(0, 2));
  return match[1] === '-' ? -minor : minor;
}
