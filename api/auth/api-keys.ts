import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ApiKeyRepository } from '../../repositories';

/**
 * `ops:*` scopes are for operators, never implied by an unrestricted key (scopes null):
 * `ops:codec` decrypts Temporal payloads for the UI and CLI (api/routes/codec).
 */
export const API_SCOPES = [
  'aspsps:read',
  'connections:read',
  'connections:write',
  'accounts:read',
  'payments:read',
  'payments:write',
  'webhooks:read',
  'webhooks:write',
  'ops:codec',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface CreateApiKeyOptions {
  name: string;
  /** null or absent: every customer. */
  customerIds?: string[] | null;
  /** null or absent: every scope. */
  scopes?: ApiScope[] | null;
  /** Use this key instead of a random one (e.g. DEMO_API_KEY). */
  key?: string;
  /** Use this id instead of a random one. */
  id?: string;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  customerIds: string[] | null;
  scopes: string[] | null;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

/** Only this digest is stored: a leaked database does not leak usable keys. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `obk_${randomBytes(32).toString('base64url')}`;
}

/**
 * The key administration of the CLI, `npm start` and tests, over the repositories (either backend).
 * Creates a key and returns it once; an existing identical key (same value) is refused by the unique index.
 */
export async function createApiKey(
  keys: ApiKeyRepository,
  opts: CreateApiKeyOptions,
): Promise<{ id: string; key: string }> {
  if (!opts.name.trim()) throw new Error('an API key needs a name');
  for (const scope of opts.scopes ?? []) {
    if (!(API_SCOPES as readonly string[]).includes(scope))
      throw new Error(`unknown scope "${scope}" (known: ${API_SCOPES.join(', ')})`);
  }
  if (opts.key !== undefined && opts.key.length < 16) throw new Error('an API key must be at least 16 characters');
  const key = opts.key ?? generateApiKey();
  const id = opts.id ?? `key_${randomUUID()}`;
  await keys.create({
    id,
    name: opts.name,
    keyHash: hashApiKey(key),
    customerIds: opts.customerIds && opts.customerIds.length ? opts.customerIds : null,
    scopes: opts.scopes && opts.scopes.length ? opts.scopes : null,
  });
  return { id, key };
}

/** Idempotent for `npm start`: creates the key only when no key with that value exists yet. */
export async function ensureApiKey(
  keys: ApiKeyRepository,
  opts: CreateApiKeyOptions & { key: string },
): Promise<{ id: string; created: boolean }> {
  const existing = await keys.findByHash(hashApiKey(opts.key));
  if (existing) return { id: existing.id, created: false };
  return { id: (await createApiKey(keys, opts)).id, created: true };
}

export function revokeApiKey(keys: ApiKeyRepository, id: string, now: number = Date.now()): Promise<boolean> {
  return keys.revoke(id, now);
}

export function listApiKeys(keys: ApiKeyRepository): Promise<ApiKeyRecord[]> {
  return keys.list();
}
