import type { ConnectionStatus } from '../db/schema';

/** A connection as the API reads it: the row the workflow's activities keep current. */
export interface ConnectionRecord {
  id: string;
  customerId: string;
  aspspId: string;
  status: ConnectionStatus;
  statusReason: string | null;
  /** The current consent's validUntil (YYYY-MM-DD), null before the first consent. */
  validUntil: string | null;
  lastSyncAt: number | null;
  nextSyncAt: number | null;
  lastError: string | null;
  createdAt: number;
  /** Set once a product deleted it through the API: the API treats it as absent from then on. */
  deletedAt: number | null;
}

export interface ConnectionRepository {
  get(id: string): Promise<ConnectionRecord | undefined>;
  /** Newest first (createdAt desc, id desc); deleted connections are left out. */
  listByCustomer(customerId: string): Promise<ConnectionRecord[]>;
  /**
   * The connections of these customers (null: of every customer), newest first (createdAt desc,
   * id desc); deleted connections are left out.
   */
  listByCustomers(customerIds: readonly string[] | null): Promise<ConnectionRecord[]>;
}
