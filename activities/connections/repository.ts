import type { Repositories } from '../../repositories';
import type { TokenCipher } from '../../secrets/token-cipher';
import type { TokenSet } from '../../xs2a/operations/types';

/** The connection activities' reads and writes, over the repositories (SQLite or PostgreSQL). */

export async function requireConnection(repositories: Repositories, connectionId: string) {
  const row = await repositories.connections.row(connectionId);
  if (!row) throw new Error(`connection ${connectionId} does not exist`);
  return row;
}

export async function requireConsent(repositories: Repositories, consentRowId: string) {
  const row = await repositories.consents.get(consentRowId);
  if (!row) throw new Error(`consent ${consentRowId} does not exist`);
  return row;
}

export async function currentConsent(repositories: Repositories, connectionId: string) {
  const connection = await requireConnection(repositories, connectionId);
  if (!connection.currentConsentId) throw new Error(`connection ${connectionId} has no authorised consent`);
  return { connection, consent: await requireConsent(repositories, connection.currentConsentId) };
}

export function recordEvent(
  repositories: Repositories,
  connectionId: string,
  event: string,
  detail?: Record<string, unknown>,
  consentId?: string | null,
): Promise<void> {
  return repositories.connections.recordEvent({ connectionId, consentId: consentId ?? null, event, detail });
}

export function setConsentStatus(
  repositories: Repositories,
  consentRowId: string,
  status: string,
  now: number,
): Promise<void> {
  return repositories.consents.setStatus(consentRowId, status, now);
}

/** The PSU's tokens, AES-256-GCM encrypted and bound to the connection (AAD) before they are stored. */
export function storeTokens(
  repositories: Repositories,
  cipher: TokenCipher,
  connectionId: string,
  consentRowId: string,
  set: TokenSet,
  now: number,
): Promise<void> {
  const access = cipher.encrypt(set.accessToken, `${connectionId}:access`);
  const refresh = set.refreshToken ? cipher.encrypt(set.refreshToken, `${connectionId}:refresh`) : undefined;
  return repositories.tokens.put({
    connectionId,
    consentId: consentRowId,
    keyId: access.keyId,
    accessTokenEnc: access.value,
    refreshTokenEnc: refresh?.value ?? null,
    expiresAt: set.expiresAt,
    refreshExpiresAt: set.refreshExpiresAt ?? null,
    updatedAt: now,
  });
}

export async function loadTokens(
  repositories: Repositories,
  cipher: TokenCipher,
  connectionId: string,
): Promise<TokenSet | undefined> {
  const row = await repositories.tokens.get(connectionId);
  if (!row) return undefined;
  return {
    accessToken: cipher.decrypt(row.keyId, row.accessTokenEnc, `${connectionId}:access`),
    refreshToken: row.refreshTokenEnc
      ? cipher.decrypt(row.keyId, row.refreshTokenEnc, `${connectionId}:refresh`)
      : undefined,
    tokenType: 'Bearer',
    expiresAt: row.expiresAt,
    refreshExpiresAt: row.refreshExpiresAt ?? undefined,
  };
}

export function deleteTokens(repositories: Repositories, connectionId: string): Promise<void> {
  return repositories.tokens.delete(connectionId);
}

/** The UTC calendar date, YYYY-MM-DD: the day PSD2 limits count in, and Berlin Group's date format. */
export const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Unattended reads left today for each endpoint. */
export async function accessesLeft(
  repositories: Repositories,
  consentRowId: string,
  endpoints: string[],
  limit: number,
  now: number,
): Promise<Map<string, number>> {
  const counts = await repositories.accessCounters.counts(consentRowId, isoDate(now));
  return new Map(endpoints.map((e) => [e, Math.max(0, limit - (counts.get(e) ?? 0))]));
}

/** Counts one unattended read; false (and nothing counted) when today's limit is used up. */
export function countAccess(
  repositories: Repositories,
  consentRowId: string,
  endpoint: string,
  limit: number,
  now: number,
): Promise<boolean> {
  return repositories.accessCounters.count(consentRowId, endpoint, isoDate(now), limit);
}
