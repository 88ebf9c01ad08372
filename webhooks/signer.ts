import { createHmac, randomBytes } from 'node:crypto';
import { WEBHOOK_HEADERS } from './contract';

/**
 * Standard Webhooks signing (standardwebhooks.com, "Signature scheme"): the secret is
 * `whsec_` + base64 of random bytes; the signature is base64(HMAC-SHA256(key, "id.timestamp.body"))
 * with the base64-decoded secret as key, sent as `v1,<sig>`; several signatures (a rotation) are
 * space-separated, and a verifier accepts any one of them.
 */

const PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

function secretKey(secret: string): Buffer {
  if (!secret.startsWith(PREFIX)) throw new Error('a webhook secret starts with whsec_');
  const key = Buffer.from(secret.slice(PREFIX.length), 'base64');
  if (key.length < 24) throw new Error('a webhook secret carries at least 24 bytes');
  return key;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for one secret. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  const hmac = createHmac('sha256', secretKey(secret));
  hmac.update(`${id}.${timestampSeconds}.`);
  hmac.update(body);
  return `v1,${hmac.digest('base64')}`;
}

/** The three headers for one attempt; every given secret signs (the new one first during a rotation). */
export function webhookHeaders(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string | Buffer,
): Record<string, string> {
  if (secrets.length === 0) throw new Error('at least one secret signs a webhook');
  return {
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(timestampSeconds),
    [WEBHOOK_HEADERS.signature]: secrets.map((s) => signWebhook(s, id, timestampSeconds, body)).join(' '),
  };
}
