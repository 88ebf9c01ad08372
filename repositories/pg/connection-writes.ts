import { asc, eq } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { connections, consentEvents, consents, syncRuns } from '../../db/pg/schema';
import { needsConsentValidity, syncCompletedEvent } from '../../webhooks/outbox';
import type { ConnectionRepository } from '../connections';
import { connectionStatusWrites } from '../plans/status';
import { pgEnqueue, type PgTx } from './outbox';

type Writes = Omit<ConnectionRepository, 'get' | 'listByCustomer' | 'listByCustomers'>;

/**
 * The connection's write side on PostgreSQL. A transaction that reads the row to write it takes
 * the row's lock first (FOR UPDATE): another process's write of the same connection waits for it.
 */
export function pgConnectionWrites(db: PgDb): Writes {
  const locked = async (tx: PgTx, id: string) => {
    const [row] = await tx.select().from(connections).where(eq(connections.id, id)).for('update');
    return row;
  };
  return {
    async row(id) {
      const [row] = await db.select().from(connections).where(eq(connections.id, id)).limit(1);
      return row;
    },
    async insert(values) {
      const inserted = await db
        .insert(connections)
        .values(values)
        .onConflictDoNothing()
        .returning({ id: connections.id });
      return inserted.length > 0;
    },
    async delete(id) {
      await db.delete(connections).where(eq(connections.id, id));
    },
    async setPsuAddress(id, ip) {
      await db.update(connections).set({ psuIpAddress: ip }).where(eq(connections.id, id));
    },
    async markDeleted(id, at) {
      await db.update(connections).set({ deletedAt: at }).where(eq(connections.id, id));
    },
    async recordStatus(input, at) {
      await db.transaction(async (tx) => {
        const before = await locked(tx, input.connectionId);
        if (!before) throw new Error(`connection ${input.connectionId} does not exist`);
        let validUntil: string | undefined;
        if (needsConsentValidity(before, input.status)) {
          const [consent] = await tx
            .select({ validUntil: consents.validUntil })
            .from(consents)
            .where(eq(consents.id, before.currentConsentId!));
          validUntil = consent?.validUntil;
        }
        const writes = connectionStatusWrites(before, input, at, validUntil);
        await tx.update(connections).set(writes.set).where(eq(connections.id, before.id));
        await pgEnqueue(tx, writes.events);
        if (writes.audit) await tx.insert(consentEvents).values(writes.audit);
      });
    },
    async activateConsent(connectionId, consentId, terms, at) {
      await db.transaction(async (tx) => {
        await tx
          .update(consents)
          .set({ ...terms, updatedAt: at })
          .where(eq(consents.id, consentId));
        await tx
          .update(connections)
          .set({ currentConsentId: consentId, updatedAt: at })
          .where(eq(connections.id, connectionId));
      });
    },
    async recordSyncCompleted(input) {
      await db.transaction(async (tx) => {
        const [connection] = await tx
          .update(connections)
          .set({
            lastSyncAt: input.at,
            lastError: null,
            ...(input.nextSyncAt !== undefined ? { nextSyncAt: input.nextSyncAt } : {}),
            updatedAt: input.at,
          })
          .where(eq(connections.id, input.connectionId))
          .returning();
        if (connection) await pgEnqueue(tx, [syncCompletedEvent(connection, input)]);
      });
    },
    async recordEvent(event) {
      await db.insert(consentEvents).values(event);
    },
    async startSyncRun(values) {
      await db.insert(syncRuns).values(values).onConflictDoNothing();
    },
    async finishSyncRun(id, values) {
      await db.update(syncRuns).set(values).where(eq(syncRuns.id, id));
    },
    async syncRuns(connectionId) {
      return db.select().from(syncRuns).where(eq(syncRuns.connectionId, connectionId)).orderBy(asc(syncRuns.startedAt));
    },
  };
}
