import { describe, expect, it } from 'vitest';
import { DnParseError, dnEquals, formatDnRfc4514, formatDnX500, parseDn } from '../../../xs2a/certs';

const issuer = [
  { oid: '2.5.4.6', value: 'DK' },
  { oid: '2.5.4.10', value: 'Example, Inc' },
  { oid: '2.5.4.97', value: 'PSDDK-DFSA-1' },
  { oid: '2.5.4.3', value: 'Sandbox CA' },
];

describe('distinguished names', () => {
  it('formats RFC 4514 most specific first and X.500 least specific first', () => {
    expect(formatDnRfc4514(issuer)).toBe('CN=Sandbox CA,organizationIdentifier=PSDDK-DFSA-1,O=Example\\, Inc,C=DK');
    expect(formatDnX500(issuer)).toBe('C=DK, O=Example\\, Inc, organizationIdentifier=PSDDK-DFSA-1, CN=Sandbox CA');
  });

  it('parses both spellings back to the same attributes, in any order', () => {
    const a = parseDn(formatDnRfc4514(issuer));
    const b = parseDn(formatDnX500(issuer));
    expect(dnEquals(a, issuer)).toBe(true);
    expect(dnEquals(b, issuer)).toBe(true);
    expect(dnEquals(parseDn('cn=sandbox ca, OID.2.5.4.97=PSDDK-DFSA-1; o="Example, Inc", c=dk'), issuer)).toBe(true);
    expect(dnEquals(parseDn('2.5.4.97=PSDDK-DFSA-1,CN=Sandbox CA,O=Example\\2C Inc,C=DK'), issuer)).toBe(true);
  });

  it('tells different names apart', () => {
    expect(dnEquals(parseDn('CN=Sandbox CA,O=Example\\, Inc,C=DK'), issuer)).toBe(false);
    expect(dnEquals(parseDn('CN=Other CA,organizationIdentifier=PSDDK-DFSA-1,O=Example\\, Inc,C=DK'), issuer)).toBe(
      false,
    );
  });

  it('rejects text that is not a DN', () => {
    for (const bad of ['', 'Sandbox CA', 'CN=a,', 'XX=1', 'CN="open']) expect(() => parseDn(bad)).toThrow(DnParseError);
  });
});
