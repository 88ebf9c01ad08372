import { and, desc, eq, inArray, isNull, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { connections, consents } from '../../db/schema';
import type { ConnectionRecord, ConnectionRepository } from '../connections';

/** The connection row with its current consent's validUntil: one query for list and detail alike. */
function selectRecords(db: Db) {
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
      deletedAt: connections.deletedAt,
    })
    .from(connections)
    .leftJoin(consents, eq(consents.id, connections.currentConsentId));
}

/** Not deleted, and one of these customers' (null: any customer's). */
function listed(customerIds: readonly string[] | null): SQL | undefined {
  const live = isNull(connections.deletedAt);
  return customerIds === null ? live : and(live, inArray(connections.customerId, [...customerIds]));
}

const record = (row: ConnectionRecord): ConnectionRecord => ({
  ...row,
  validUntil: row.validUntil ?? null,
  deletedAt: row.deletedAt ?? null,
});

export function sqliteConnectionRepository(
  db: Db,
): Pick<ConnectionRepository, 'get' | 'listByCustomer' | 'listByCustomers'> {
  return {
    async get(id) {
      const row = selectRecords(db).where(eq(connections.id, id)).get();
      return row && record(row);
    },
    async listByCustomer(customerId) {
      return listByCustomers([customerId]);
    },
    listByCustomers,
  };
  async function listByCustomers(customerIds: readonly string[] | null): Promise<ConnectionRecord[]> {
    if (customerIds !== null && customerIds.length === 0) return [];
    return selectRecords(db)
      .where(listed(customerIds))
      .orderBy(desc(connections.createdAt), desc(connections.id))
      .all()
      .map(record);
  }
}
