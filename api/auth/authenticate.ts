import type { FastifyRequest } from 'fastify';
import type { ApiKeyRepository } from '../../repositories';
import { ApiProblem } from '../problem';
import { hashApiKey, type ApiScope } from './api-keys';

export interface ApiPrincipal {
  keyId: string;
  name: string;
  customerIds: string[] | null;
  scopes: string[] | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiPrincipal;
  }
  interface FastifyContextConfig {
    /** No API key needed (callback, health, docs). */
    public?: boolean;
    /** The scope a key must carry. */
    scope?: ApiScope;
  }
}

const LAST_USED_RESOLUTION_MS = 60_000;

function unauthorised(detail: string): ApiProblem {
  return new ApiProblem(401, detail, { headers: { 'www-authenticate': 'Bearer realm="openbanking"' } });
}

/** Resolves the Bearer key to its principal, or throws 401; touches last_used_at at most once a minute. */
export async function authenticate(
  apiKeys: ApiKeyRepository,
  request: FastifyRequest,
  now: number,
): Promise<ApiPrincipal> {
  const header = request.headers.authorization;
  if (!header) throw unauthorised('an API key is required: Authorization: Bearer <key>');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorised('the Authorization header must be "Bearer <key>"');
  const row = await apiKeys.findByHash(hashApiKey(match[1]));
  if (!row || row.revokedAt !== null) throw unauthorised('unknown or revoked API key');
  if (row.lastUsedAt === null || now - row.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    await apiKeys.touchLastUsed(row.id, now);
  }
  return { keyId: row.id, name: row.name, customerIds: row.customerIds ?? null, scopes: row.scopes ?? null };
}

export function requireScope(principal: ApiPrincipal, scope: ApiScope): void {
  if (principal.scopes !== null && !principal.scopes.includes(scope)) {
    throw new ApiProblem(403, `this API key lacks the scope ${scope}`);
  }
}

export function mayActFor(principal: ApiPrincipal, customerId: string): boolean {
  return principal.customerIds === null || principal.customerIds.includes(customerId);
}

export function principalOf(request: FastifyRequest): ApiPrincipal {
  if (!request.principal) throw new Error('route reached without authentication');
  return request.principal;
}
