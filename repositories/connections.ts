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
}

export interface ConnectionRepository {
  get(id: string): Promise<ConnectionRecord | undefined>;
  /** Newest first (createdAt desc, id desc). */
  listByCustomer(customerId: string): Promise<ConnectionRecord[]>;
}
