import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { accessCounters, connections, consentEvents, consentStatusHistory, consents, tokens } from '../../db/schema';
import type { TokenCipher } from '../../secrets/token-cipher';
import type { TokenSet } from '../../xs2a/operations/types';

export function requireConnection(db: Db, connectionId: string) {
  const row = db.select().from(connections).where(eq(connections.id, connectionId)).get();
  if (!row) throw new Error(`connection ${connectionId} does not exist`);
  return row;
}

export function requireConsent(db: Db, consentRowId: string) {
  const row = db.select().from(consents).where(eq(consents.id, consentRowId)).get();
  if (!row) throw new Error(`consent ${consentRowId} does not exist`);
  return row;
}

export function currentConsent(db: Db, connectionId: string) {
  const connection = requireConnection(db, connectionId);
  if (!connection.currentConsentId) throw new Error(`connection ${connectionId} has no authorised consent`);
  return { connection, consent: requireConsent(db, connection.currentConsentId) };
}

export function recordEvent(
  db: Db,
  connectionId: string,
  event: string,
  detail?: Record<string, unknown>,
  consentId?: string | null,
): void {
  db.insert(consentEvents)
    .values({ connectionId, consentId: consentId ?? null, event, detail })
    .run();
}

export function setConsentStatus(db: Db, consentRowId: string, status: string, now: number): void {
  db.transaction((tx) => {
    const current = tx.select({ status: consents.status }).from(consents).where(eq(consents.id, consentRowId)).get();
    if (!current || current.status === status) return;
    const ended = ['rejected', 'expired', 'revokedByPsu', 'terminatedByTpp'].includes(status);
    tx.update(consents)
      .set({
        status,
        updatedAt: now,
        ...(ended ? { endedAt: now } : {}),
        ...(status === 'valid' ? { authorisedAt: now } : {}),
      })
      .where(eq(consents.id, consentRowId))
      .run();
    tx.insert(consentStatusHistory).values({ consentId: consentRowId, status, at: now }).run();
  });
}

export function storeTokens(
  db: Db,
  cipher: TokenCipher,
  connectionId: string,
  consentRowId: string,
  set: TokenSet,
  now: number,
): void {
  const access = cipher.encrypt(set.accessToken, `${connectionId}:access`);
  const refresh = set.refreshToken ? cipher.encrypt(set.refreshToken, `${connectionId}:refresh`) : undefined;
  const values = {
    connectionId,
    consentId: consentRowId,
    keyId: access.keyId,
    accessTokenEnc: access.value,
    refreshTokenEnc: refresh?.value ?? null,
    expiresAt: set.expiresAt,
    refreshExpiresAt: set.refreshExpiresAt ?? null,
    updatedAt: now,
  };
  db.insert(tokens).values(values).onConflictDoUpdate({ target: tokens.connectionId, set: values }).run();
}

export function loadTokens(db: Db, cipher: TokenCipher, connectionId: string): TokenSet | undefined {
  const row = db.select().from(tokens).where(eq(tokens.connectionId, connectionId)).get();
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

export function deleteTokens(db: Db, connectionId: string): void {
  db.delete(tokens).where(eq(tokens.connectionId, connectionId)).run();
}

/** The UTC calendar date, YYYY-MM-DD: the day PSD2 limits count in, and Berlin Group's date format. */
export const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Unattended reads left today for each endpoint. */
export function accessesLeft(
  db: Db,
  consentRowId: string,
  endpoints: string[],
  limit: number,
  now: number,
): Map<string, number> {
  const day = isoDate(now);
  const left = new Map(endpoints.map((e) => [e, limit]));
  const rows = db
    .select()
    .from(accessCounters)
    .where(and(eq(accessCounters.consentId, consentRowId), eq(accessCounters.day, day)))
    .all();
  for (const row of rows) if (left.has(row.endpoint)) left.set(row.endpoint, Math.max(0, limit - row.count));
  return left;
}

/** Counts one unattended read; false (and nothing counted) when today's limit is used up. */
export function countAccess(db: Db, consentRowId: string, endpoint: string, limit: number, now: number): boolean {
  const day = isoDate(now);
  return db.transaction((tx) => {
    const row = tx
      .select({ count: accessCounters.count })
      .from(accessCounters)
      .where(
        and(
          eq(accessCounters.consentId, consentRowId),
          eq(accessCounters.endpoint, endpoint),
          eq(accessCounters.day, day),
        ),
      )
      .get();
    if ((row?.count ?? 0) >= limit) return false;
    tx.insert(accessCounters)
      .values({ consentId: consentRowId, endpoint, day, count: 1 })
      .onConflictDoUpdate({
        target: [accessCounters.consentId, accessCounters.endpoint, accessCounters.day],
        set: { count: sql`${accessCounters.count} + 1` },
      })
      .run();
    return true;
  });
}
