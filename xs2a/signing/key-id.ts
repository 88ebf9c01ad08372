import { DnParseError, dnEquals, formatDnRfc4514, formatDnX500, parseDn, type DnAttribute } from '../certs/dn';
import type { SignatureStyle } from './types';

/** XS2A keyId: "SN=<certificate serial, hex>,CA=<issuer DN>". */
export function formatKeyId(serialHex: string, issuer: DnAttribute[], style: Pick<SignatureStyle, 'caFormat' | 'serialCase'>): string {
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

export function parseKeyId(keyId: string): ParsedKeyId {
  const match = /^\s*SN\s*=\s*([^,]*?)\s*,\s*CA\s*=\s*(.*?)\s*$/is.exec(keyId);
  if (!match) throw new KeyIdFormatError(`keyId "${keyId}" is not "SN=<serial hex>,CA=<issuer DN>"`);
  const serial = match[1]!;
  if (!/^(0x)?[0-9a-f]+$/i.test(serial)) throw new KeyIdFormatError(`keyId serial "${serial}" is not hexadecimal`);
  try {
    return { serialHex: serial.replace(/^0x/i, ''), ca: match[2]!, caAttributes: parseDn(match[2]!) };
  } catch (err) {
    if (err instanceof DnParseError) throw new KeyIdFormatError(`keyId CA "${match[2]}" is not a distinguished name (${err.message})`);
    throw err;
  }
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
