import { DnParseError, dnEquals, formatDnRfc4514, formatDnX500, parseDn, type DnAttribute } from '../certs/dn';
import type { SignatureStyle } from './types';

/** XS2A keyId: "SN=<certificate serial, hex>,CA=<issuer DN>" (the DN URL-encoded when the style says so). */
export function formatKeyId(
  serialHex: string,
  issuer: DnAttribute[],
  style: Pick<SignatureStyle, 'caFormat' | 'serialCase' | 'caEncoding'>,
): string {
  const serial = style.serialCase === 'upper' ? serialHex.toUpperCase() : serialHex.toLowerCase();
  const dn = style.caFormat === 'x500' ? formatDnX500(issuer) : formatDnRfc4514(issuer);
  const ca = style.caEncoding === 'url' ? encodeURIComponent(dn) : dn;
  return `SN=${serial},CA=${ca}`;
}

export interface ParsedKeyId {
  serialHex: string;
  /** The DN as written after "CA=" (still URL-encoded when `caEncoding` is 'url'). */
  ca: string;
  /** 'url' when the CA was a URL-encoded DN (Enfuce), 'raw' when written as is (BEC). */
  caEncoding: 'raw' | 'url';
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
  const caEncoding = isUrlEncodedDn(ca) ? 'url' : 'raw';
  let dn = ca;
  if (caEncoding === 'url') {
    try {
      dn = decodeURIComponent(ca);
    } catch {
      throw new KeyIdFormatError(`keyId CA "${ca}" is neither a distinguished name nor a URL-encoded one`);
    }
  }
  try {
    return { serialHex: serial.replace(/^0x/i, ''), ca, caEncoding, caAttributes: parseDn(dn) };
  } catch (err) {
    if (err instanceof DnParseError)
      throw new KeyIdFormatError(`keyId CA "${ca}" is not a distinguished name (${err.message})`);
    throw err;
  }
}

/**
 * A DN written raw always has an "=" (CN=…); encodeURIComponent turns every "=" into "%3D". So a CA
 * with percent-escapes and no "=" is URL-encoded, while a raw DN whose value has a "%" stays raw.
 */
function isUrlEncodedDn(ca: string): boolean {
  return !ca.includes('=') && /%[0-9a-f]{2}/i.test(ca);
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
