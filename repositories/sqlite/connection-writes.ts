import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { connections, consentEvents, consents, syncRuns } from '../../db/schema';
import { needsConsentValidity, syncCompletedEvent } from '../../webhooks/outbox';
import type { ConnectionRepository } from '../connections';
import { connectionStatusWrites } from '../plans/status';
import { sqliteEnqueue } from './outbox';
import { prepareOnce } from './prepared';

type Writes = Omit<ConnectionRepository, 'get' | 'listByCustomer' | 'listByCustomers'>;

/** The connection's write side on SQLite: better-sqlite3 runs each transaction synchronously. */
export function sqliteConnectionWrites(db: Db): Writes {
  // Read by every activity and most writes: a prepared query (drizzle would rebuild its SQL each
  // time). It runs on the one connection, so inside a transaction it reads the transaction's view.
  const byId = prepareOnce(() =>
    db
      .select()
      .from(connections)
      .where(eq(connections.id, sql.placeholder('id')))
      .prepare(),
  );
  const row = (id: string) => byId().get({ id });
  return {
    async row(id) {
      return row(id);
    },
    async insert(values) {
      return db.insert(connections).values(values).onConflictDoNothing().run().changes > 0;
    },
    async delete(id) {
      db.delete(connections).where(eq(connections.id, id)).run();
    },
    async setPsuAddress(id, ip) {
      db.update(connections).set({ psuIpAddress: ip }).where(eq(connections.id, id)).run();
    },
    async markDeleted(id, at) {
      db.update(connections).set({ deletedAt: at }).where(eq(connections.id, id)).run();
    },
    async recordStatus(input, at) {
      db.transaction((tx) => {
        const before = row(input.connectionId);
        if (!before) throw new Error(`connection ${input.connectionId} does not exist`);
        const validUntil = needsConsentValidity(before, input.status)
          ? tx
              .select({ validUntil: consents.validUntil })
              .from(consents)
              .where(eq(consents.id, before.currentConsentId!))
              .get()?.validUntil
          : undefined;
        const writes = connectionStatusWrites(before, input, at, validUntil);
        tx.update(connections).set(writes.set).where(eq(connections.id, before.id)).run();
        sqliteEnqueue(tx, writes.events);
        if (writes.audit) tx.insert(consentEvents).values(writes.audit).run();
      });
    },
    async activateConsent(connectionId, consentId, terms, at) {
      db.transaction((tx) => {
        tx.update(consents)
          .set({ ...terms, updatedAt: at })
          .where(eq(consents.id, consentId))
          .run();
        tx.update(connections)
          .set({ currentConsentId: consentId, updatedAt: at })
          .where(eq(connections.id, connectionId))
          .run();
      });
    },
    async recordSyncCompleted(input) {
      db.transaction((tx) => {
        tx.update(connections)
          .set({
            lastSyncAt: input.at,
            lastError: null,
            ...(input.nextSyncAt !== undefined ? { nextSyncAt: input.nextSyncAt } : {}),
            updatedAt: input.at,
          })
          .where(eq(connections.id, input.connectionId))
          .run();
        const connection = row(input.connectionId);
        if (connection) sqliteEnqueue(tx, [syncCompletedEvent(connection, input)]);
      });
    },
    async recordEvent(event) {
      db.insert(consentEvents).values(event).run();
    },
    async startSyncRun(values) {
      db.insert(syncRuns).values(values).onConflictDoNothing().run();
    },
    async finishSyncRun(id, values) {
      db.update(syncRuns).set(values).where(eq(syncRuns.id, id)).run();
    },
    async syncRuns(connectionId) {
      return db
        .select()
        .from(syncRuns)
        .where(eq(syncRuns.connectionId, connectionId))
        .orderBy(asc(syncRuns.startedAt))
        .all();
    },
  };
}
