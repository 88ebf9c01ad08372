import { describe, expect, it } from 'vitest';
import { becProfile } from '../../banks/bec/profile';
import { enfuceProfile } from '../../banks/enfuce/profile';
import { psuIpForBank, sendablePsuIp } from '../../banks/psu-ip';

describe('PSU-IP-Address per bank (1.3.12: format ipv4)', () => {
  const bec = becProfile({ bankId: '0400', environment: 'sandbox' });
  const enfuce = enfuceProfile({ issuer: 'rocker', environment: 'sandbox', clientId: 'c' });

  it('BEC and Enfuce take IPv4 only: IPv4-mapped IPv6 goes as IPv4, other IPv6 is not sendable', () => {
    for (const profile of [bec, enfuce]) {
      expect(profile.psuIpv6).toBe(false);
      expect(psuIpForBank(profile, '192.0.2.1')).toEqual({ kind: 'send', ip: '192.0.2.1' });
      expect(psuIpForBank(profile, '::ffff:192.0.2.7')).toEqual({ kind: 'send', ip: '192.0.2.7' });
      expect(psuIpForBank(profile, '::FFFF:198.51.100.2')).toEqual({ kind: 'send', ip: '198.51.100.2' });
      expect(psuIpForBank(profile, '2001:db8::1')).toMatchObject({ kind: 'unsupported', reason: /IPv4/ });
      expect(psuIpForBank(profile, '::1').kind).toBe('unsupported');
      expect(psuIpForBank(profile, undefined)).toEqual({ kind: 'none' });
      expect(sendablePsuIp(profile, '2001:db8::1')).toBeUndefined();
    }
  });

  it('a bank that declares IPv6 gets it as given', () => {
    expect(sendablePsuIp({ name: 'v6 bank', psuIpv6: true }, '2001:db8::1')).toBe('2001:db8::1');
    expect(psuIpForBank({ name: 'v6 bank', psuIpv6: true }, 'not-an-ip').kind).toBe('unsupported');
  });
});
