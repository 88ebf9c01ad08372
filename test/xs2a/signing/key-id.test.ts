import { describe, expect, it } from 'vitest';
import { parseDn } from '../../../xs2a/certs/dn';
import {
  BEC_SIGNATURE_STYLE,
  ENFUCE_SIGNATURE_STYLE,
  KeyIdFormatError,
  formatKeyId,
  parseKeyId,
} from '../../../xs2a/signing';

function timed(fn: () => void): { ms: number; error: unknown } {
  const started = performance.now();
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  return { ms: performance.now() - started, error };
}

describe('parseKeyId', () => {
  it('still parses well-formed keyIds, with spaces around SN, CA and the comma', () => {
    expect(parseKeyId('SN=1a2B,CA=CN=Test CA,O=Example,C=DK')).toMatchObject({
      serialHex: '1a2B',
      ca: 'CN=Test CA,O=Example,C=DK',
    });
    expect(parseKeyId('  sn = 0x0f ,  ca =  CN=Test CA  ')).toMatchObject({ serialHex: '0f', ca: 'CN=Test CA' });
  });

  it('rejects the same malformed keyIds as before', () => {
    for (const bad of ['', 'SN=,CA=CN=x', 'SN=zz,CA=CN=x', 'CA=CN=x,SN=1', 'SN=1', 'SN=1 2,CA=CN=x', 'X=1,CA=CN=x']) {
      expect(() => parseKeyId(bad), bad).toThrow(KeyIdFormatError);
    }
  });

  // The old /^\s*SN\s*=\s*([^,]*?)\s*,\s*CA…/ backtracked cubically: 3000 spaces took ~10 s.
  it('rejects pathological keyIds in linear time', () => {
    for (const keyId of [
      `SN=${' '.repeat(3000)}`,
      `SN=${' '.repeat(3000)}x`,
      `SN=1,${' '.repeat(3000)}`,
      `SN=1,CA=${' '.repeat(3000)}`,
    ]) {
      const { ms, error } = timed(() => parseKeyId(keyId));
      expect(error).toBeInstanceOf(KeyIdFormatError);
      expect(ms).toBeLessThan(50);
    }
  });

  it('rejects a 12 KB keyId up front in < 50 ms, without quoting it', () => {
    const keyId = `SN=${' '.repeat(12 * 1024)}`;
    const { ms, error } = timed(() => parseKeyId(keyId));
    expect(error).toBeInstanceOf(KeyIdFormatError);
    expect((error as Error).message).toMatch(/longer than 4096/);
    expect((error as Error).message.length).toBeLessThan(200);
    expect(ms).toBeLessThan(50);
  });
});

describe('keyId CA encoding (Enfuce: URL-encoded DN; BEC: raw)', () => {
  const dn = 'C=DK, O=Sandbox QTSP, CN=Sandbox CA';

  it('formats the CA URL-encoded for the Enfuce style and raw for BEC', () => {
    const issuer = parseDn(dn);
    expect(formatKeyId('0a1b', issuer, ENFUCE_SIGNATURE_STYLE)).toBe(`SN=0A1B,CA=${encodeURIComponent(dn)}`);
    expect(formatKeyId('0a1b', issuer, BEC_SIGNATURE_STYLE)).toBe('SN=0a1b,CA=CN=Sandbox CA,O=Sandbox QTSP,C=DK');
  });

  it('parses both encodings to the same DN and says which it saw', () => {
    const encoded = parseKeyId(`SN=0A1B,CA=${encodeURIComponent(dn)}`);
    const raw = parseKeyId(`SN=0A1B,CA=${dn}`);
    expect(encoded.caEncoding).toBe('url');
    expect(raw.caEncoding).toBe('raw');
    expect(encoded.caAttributes).toEqual(raw.caAttributes);
    // A raw DN whose value holds a "%" stays raw.
    expect(parseKeyId('SN=1,CA=O=100%25 Bank,C=DK')).toMatchObject({ caEncoding: 'raw', ca: 'O=100%25 Bank,C=DK' });
    expect(() => parseKeyId('SN=1,CA=%E0%A4%A')).toThrow(KeyIdFormatError);
    expect(() => parseKeyId(`SN=1,CA=${encodeURIComponent('not a dn')}`)).toThrow(KeyIdFormatError);
  });
});
