import { desc, eq } from 'drizzle-orm';
import type { PgDb } from '../../db/pg/client';
import { connections, consents } from '../../db/pg/schema';
import type { ConnectionRecord, ConnectionRepository } from '../connections';
import { listedConnections, pageOf } from '../plans/created-order';

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
      deletedAt: connections.deletedAt,
    })
    .from(connections)
    .leftJoin(consents, eq(consents.id, connections.currentConsentId));
}

const record = (row: ConnectionRecord): ConnectionRecord => ({
  ...row,
  validUntil: row.validUntil ?? null,
  deletedAt: row.deletedAt ?? null,
});

export function pgConnectionRepository(
  db: PgDb,
): Pick<ConnectionRepository, 'get' | 'listByCustomer' | 'listByCustomers'> {
  return {
    async get(id) {
      const [row] = await selectRecords(db).where(eq(connections.id, id)).limit(1);
      return row && record(row);
    },
    async listByCustomer(customerId) {
      const rows = await selectRecords(db)
        .where(listedConnections(connections, [customerId]))
        .orderBy(desc(connections.createdAt), desc(connections.id));
      return rows.map(record);
    },
    async listByCustomers(customerIds, page) {
      if (customerIds !== null && customerIds.length === 0) return { items: [] };
      const rows = await selectRecords(db)
        .where(listedConnections(connections, customerIds, page.after))
        .orderBy(desc(connections.createdAt), desc(connections.id))
        .limit(page.limit + 1);
      const found = pageOf(rows, page.limit);
      return { ...found, items: found.items.map(record) };
    },
  };
}
