import { desc, eq } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { connections, consents } from '../../db/pg/schema';
import type { ConnectionRecord, ConnectionRepository } from '../connections';

/** The connection row with its current consent's validUntil: one query for list and detail alike. */
function selectRecords(db: PgDb) {
  return db
    .select({
      id: connections.id,
      customerId: connections.customerId,
      aspspId: connections.aspspId,
      status: connections.status,
      statusReason: connections.statusReason,
      validUntil: consents.validUntil,
      lastSyncAt: connections.lastSyncAt,
      nextSyncAt: connections.nextSyncAt,
      lastError: connections.lastError,
      createdAt: connections.createdAt,
    })
    .from(connections)
    .leftJoin(consents, eq(consents.id, connections.currentConsentId));
}

const record = (row: ConnectionRecord): ConnectionRecord => ({ ...row, validUntil: row.validUntil ?? null });

export function pgConnectionRepository(db: PgDb): Pick<ConnectionRepository, 'get' | 'listByCustomer'> {
  return {
    async get(id) {
      const [row] = await selectRecords(db).where(eq(connections.id, id)).limit(1);
      return row && record(row);
    },
    async listByCustomer(customerId) {
      const rows = await selectRecords(db)
        .where(eq(connections.customerId, customerId))
        .orderBy(desc(connections.createdAt), desc(connections.id));
      return rows.map(record);
    },
  };
}
