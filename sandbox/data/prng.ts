import { createHash } from 'node:crypto';

/** A PRNG returning floats in [0, 1). */
export type Random = () => number;

/** The first 128 bits of SHA-256(key) as four 32-bit words: a seed for sfc32. */
export type SeedWords = readonly [number, number, number, number];

export function seedWords(key: string): SeedWords {
  const digest = createHash('sha256').update(key).digest();
  return [digest.readUInt32BE(0), digest.readUInt32BE(4), digest.readUInt32BE(8), digest.readUInt32BE(12)];
}

/** sfc32 seeded from the SHA-256 of `key`: the same key always yields the same sequence. */
export function seededRandom(key: string): Random {
  return sfc32(seedWords(key));
}

/**
 * Derives a reproducible 32-hex-char id from a seed and a salt without another SHA-256: ids are
 * minted per transaction, and hashing each one would dominate a two-year listing.
 */
export function derivedHex(words: SeedWords, salt: number): string {
  const random = sfc32([words[0] ^ Math.imul(salt + 1, 0x9e3779b1), words[1], words[2] ^ salt, words[3]]);
  let out = '';
  for (let i = 0; i < 4; i++) out += hexWord(Math.floor(random() * 4294967296));
  return out;
}

function hexWord(value: number): string {
  const hex = value.toString(16);
  return hex.length === 8 ? hex : '00000000'.slice(hex.length) + hex;
}

/** Like derivedHex, in decimal digits (up to 18). */
export function derivedDigits(words: SeedWords, salt: number, length: number): string {
  const random = sfc32([words[0] ^ Math.imul(salt + 7, 0x85ebca6b), words[1] ^ salt, words[2], words[3]]);
  let out = '';
  while (out.length < length)
    out += Math.floor(random() * 1e9)
      .toString()
      .padStart(9, '0');
  return out.slice(0, length);
}

export function sfc32(seed: SeedWords): Random {
  let [a, b, c, d] = seed;
  const next: Random = () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // sfc32's first outputs correlate with the seed words; discard a few.
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** An integer in [min, max], inclusive. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/** A stable hex id derived from `key` (not secret: just unique and reproducible). */
export function stableHex(key: string, length: number): string {
  return createHash('sha256').update(key).digest('hex').slice(0, length);
}

/** A stable string of decimal digits derived from `key`. */
export function stableDigits(key: string, length: number): string {
  const digest = createHash('sha256').update(key).digest();
  let out = '';
  for (let i = 0; out.length < length; i++) out += String(digest[i % digest.length] % 10);
  return out;
}
