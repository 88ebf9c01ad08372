import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Where webhooks may go. production: https only, and never to a private, loopback, link-local
 * (or otherwise non-public) address, checked after DNS resolution when an endpoint is registered
 * and again on every connection (the check is the socket's own lookup, so a DNS answer that changes
 * between the check and the connect cannot slip through). development (`npm start`): https
 * anywhere, plus plain http to localhost / 127.0.0.1 / [::1].
 */
export type WebhookUrlMode = 'production' | 'development';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const forbidden = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  forbidden.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64 (embeds an IPv4 address)
  ['2001:db8::', 32], // documentation
] as const)
  forbidden.addSubnet(net, prefix, 'ipv6');

/** True when an address is not a public unicast one: never a webhook target in production. */
export function isForbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return forbidden.check(mapped[1], 'ipv4');
  const family = isIP(bare);
  if (family === 0) return true;
  return forbidden.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

export class WebhookUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookUrlError';
  }
}

/** The URL's form: scheme, credentials, host. Throws WebhookUrlError saying what is wrong. */
export function checkWebhookUrlSyntax(raw: string, mode: WebhookUrlMode): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('is not an absolute URL');
  }
  if (url.username || url.password) throw new WebhookUrlError('must not carry credentials');
  if (url.hash) throw new WebhookUrlError('must not have a fragment');
  const local = LOCAL_HOSTS.has(url.hostname);
  if (url.protocol === 'http:') {
    if (mode === 'development' && local) return url;
    throw new WebhookUrlError(
      mode === 'development' ? 'must be https (http only to localhost or 127.0.0.1 in development)' : 'must be https',
    );
  }
  if (url.protocol !== 'https:') throw new WebhookUrlError('must be https');
  if (mode === 'production') {
    if (url.hostname === 'localhost' || url.hostname.endsWith('.localhost'))
      throw new WebhookUrlError('must not point at this host');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isForbiddenAddress(host))
      throw new WebhookUrlError('must not point at a private, loopback or link-local address');
  }
  return url;
}

export type Resolver = (hostname: string) => Promise<string[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses.map((a) => a.address)),
    ),
  );

/**
 * Registration-time check: the form, then (production) every address the name resolves to.
 * Returns the normalised URL.
 */
export async function checkWebhookUrl(
  raw: string,
  mode: WebhookUrlMode,
  resolve: Resolver = systemResolver,
): Promise<string> {
  const url = checkWebhookUrlSyntax(raw, mode);
  if (mode === 'production') {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!isIP(host)) {
      let addresses: string[];
      try {
        addresses = await resolve(host);
      } catch {
        throw new WebhookUrlError(`host ${host} does not resolve`);
      }
      if (addresses.length === 0) throw new WebhookUrlError(`host ${host} does not resolve`);
      if (addresses.some(isForbiddenAddress))
        throw new WebhookUrlError(`host ${host} resolves to a private, loopback or link-local address`);
    }
  }
  return url.toString();
}

/**
 * The socket lookup used for deliveries: in production it refuses (ECONNREFUSED-like error) when
 * any address of the name is not public, so the check and the connection use the same answer.
 */
export function guardedLookup(mode: WebhookUrlMode): LookupFunction | undefined {
  if (mode === 'development') return undefined;
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', undefined);
      if (addresses.length === 0 || addresses.some((a) => isForbiddenAddress(a.address))) {
        const refused = Object.assign(new Error(`${hostname} resolves to a non-public address`), {
          code: 'EWEBHOOKADDRESS',
        });
        return callback(refused, '', undefined);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
