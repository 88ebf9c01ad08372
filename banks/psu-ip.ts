import { isIPv4, isIPv6 } from 'node:net';
import type { BankProfile } from '../xs2a/profiles/types';

/**
 * What we may send a bank as PSU-IP-Address. Berlin Group 1.3.12 declares the header
 * `format: ipv4`; a bank that refuses IPv6 (profile.psuIpv6 false, the default) gets an
 * IPv4-mapped address (::ffff:a.b.c.d) as a.b.c.d and no header for any other IPv6 address.
 * Our own header must never fail a PSU's connection.
 */
export type PsuIpForBank =
  | { kind: 'send'; ip: string }
  /** Nothing was given. */
  | { kind: 'none' }
  /** An address the bank cannot take (or not an address at all). */
  | { kind: 'unsupported'; ip: string; reason: string };

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

export function psuIpForBank(
  profile: Pick<BankProfile, 'name' | 'psuIpv6'>,
  ip: string | null | undefined,
): PsuIpForBank {
  if (ip === undefined || ip === null || ip === '') return { kind: 'none' };
  if (isIPv4(ip)) return { kind: 'send', ip };
  if (isIPv6(ip)) {
    const mapped = MAPPED_V4.exec(ip)?.[1];
    if (mapped && isIPv4(mapped)) return { kind: 'send', ip: mapped };
    if (profile.psuIpv6 === true) return { kind: 'send', ip };
    return {
      kind: 'unsupported',
      ip,
      reason: `${profile.name} accepts only an IPv4 PSU-IP-Address (Berlin Group 1.3.12: format ipv4)`,
    };
  }
  return { kind: 'unsupported', ip, reason: 'not an IP address' };
}

/** The address to send, or undefined where none is given or the bank cannot take it. */
export function sendablePsuIp(
  profile: Pick<BankProfile, 'name' | 'psuIpv6'>,
  ip: string | null | undefined,
): string | undefined {
  const decision = psuIpForBank(profile, ip);
  return decision.kind === 'send' ? decision.ip : undefined;
}
