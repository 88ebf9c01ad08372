import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { apiKeys } from '../../db/schema';

export const API_SCOPES = [
  'aspsps:read',
  'connections:read',
  'connections:write',
  'accounts:read',
  'payments:read',
  'payments:write',
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

/** Creates a key and returns it once; an existing identical key (same value) is refused by the unique index. */
export function createApiKey(db: Db, opts: CreateApiKeyOptions): { id: string; key: string } {
  if (!opts.name.trim()) throw new Error('an API key needs a name');
  for (const scope of opts.scopes ?? []) {
    if (!(API_SCOPES as readonly string[]).includes(scope))
      throw new Error(`unknown scope "${scope}" (known: ${API_SCOPES.join(', ')})`);
  }
  if (opts.key !== undefined && opts.key.length < 16) throw new Error('an API key must be at least 16 characters');
  const key = opts.key ?? generateApiKey();
  const id = opts.id ?? `key_${randomUUID()}`;
  db.insert(apiKeys)
    .values({
      id,
      name: opts.name,
      keyHash: hashApiKey(key),
      customerIds: opts.customerIds && opts.customerIds.length ? opts.customerIds : null,
      scopes: opts.scopes && opts.scopes.length ? opts.scopes : null,
    })
    .run();
  return { id, key };
}

/** Idempotent for `npm start`: creates the key only when no key with that value exists yet. */
export function ensureApiKey(db: Db, opts: CreateApiKeyOptions & { key: string }): { id: string; created: boolean } {
  const existing = db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, hashApiKey(opts.key)))
    .get();
  if (existing) return { id: existing.id, created: false };
  return { id: createApiKey(db, opts).id, created: true };
}

export function revokeApiKey(db: Db, id: string, now: number = Date.now()): boolean {
  const result = db.update(apiKeys).set({ revokedAt: now }).where(eq(apiKeys.id, id)).run();
  return result.changes > 0;
}

export function listApiKeys(db: Db): ApiKeyRecord[] {
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      customerIds: apiKeys.customerIds,
      scopes: apiKeys.scopes,
      createdAt: apiKeys.createdAt,
      revokedAt: apiKeys.revokedAt,
      lastUsedAt: apiKeys.lastUsedAt,
    })
    .from(apiKeys)
    .all();
}
