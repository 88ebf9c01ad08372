import { DnParseError, dnEquals, formatDnRfc4514, formatDnX500, parseDn, type DnAttribute } from '../certs/dn';
import type { SignatureStyle } from './types';

/** XS2A keyId: "SN=<certificate serial, hex>,CA=<issuer DN>". */
export function formatKeyId(
  serialHex: string,
  issuer: DnAttribute[],
  style: Pick<SignatureStyle, 'caFormat' | 'serialCase'>,
): string {
  const serial = style.serialCase === 'upper' ? serialHex.toUpperCase() : serialHex.toLowerCase();
  const ca = style.caFormat === 'x500' ? formatDnX500(issuer) : formatDnRfc4514(issuer);
  return `SN=${serial},CA=${ca}`;
}

export interface ParsedKeyId {
  serialHex: string;
  ca: string;
  caAttributes: DnAttribute[];
}

export class KeyIdFormatError extends Error {
  override name = 'KeyIdFormatError';
}

/** Longer than any real "SN=…,CA=<DN>"; refused before any parsing. */
export const MAX_KEY_ID_LENGTH = 4096;

/**
 * Parsed by indexOf and trim, not one regular expression: the former
 * /^\s*SN\s*=\s*([^,]*?)\s*,\s*CA…/ backtracked cubically on runs of spaces,
 * and the keyId comes straight from a request's Signature header.
 */
export function parseKeyId(keyId: string): ParsedKeyId {
  if (keyId.length > MAX_KEY_ID_LENGTH) {
    throw new KeyIdFormatError(`keyId is longer than ${MAX_KEY_ID_LENGTH} characters (${keyId.length})`);
  }
  const malformed = () => new KeyIdFormatError(`keyId "${keyId}" is not "SN=<serial hex>,CA=<issuer DN>"`);
  const comma = keyId.indexOf(',');
  if (comma < 0) throw malformed();
  const serial = valueOf(keyId.slice(0, comma), 'SN');
  const ca = valueOf(keyId.slice(comma + 1), 'CA');
  if (serial === undefined || ca === undefined) throw malformed();
  if (!/^(0x)?[0-9a-f]+$/i.test(serial)) throw new KeyIdFormatError(`keyId serial "${serial}" is not hexadecimal`);
  try {
    return { serialHex: serial.replace(/^0x/i, ''), ca, caAttributes: parseDn(ca) };
  } catch (err) {
    if (err instanceof DnParseError)
      throw new KeyIdFormatError(`keyId CA "${ca}" is not a distinguished name (${err.message})`);
    throw err;
  }
}

/** "  SN = value  " → "value" (trimmed; name case-insensitive), or undefined when the part is not name=value. */
function valueOf(part: string, name: 'SN' | 'CA'): string | undefined {
  const trimmed = part.trim();
  if (!new RegExp(`^${name}$`, 'i').test(trimmed.slice(0, name.length))) return undefined;
  const rest = trimmed.slice(name.length).trimStart();
  if (!rest.startsWith('=')) return undefined;
  return rest.slice(1).trim();
}

/** Serials compared as numbers: case and leading zeros do not matter. */
export function serialsEqual(a: string, b: string): boolean {
  try {
    return BigInt(`0x${a}`) === BigInt(`0x${b}`);
  } catch {
    return false;
  }
}

export { dnEquals };
