import type { ConnectionStatus } from '../db/schema';
import type { SyncCompletedInput } from '../webhooks/outbox';
import type { ConnectionStatusInput, ConsentEventValues } from './plans/status';
import type { ConnectionRow, NewConnectionRow, NewSyncRunRow, SyncRunRow } from './rows';

export type { ConnectionStatusInput, ConsentEventValues } from './plans/status';
export type { SyncCompletedInput } from '../webhooks/outbox';

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

  // The write side: the services create the row, the workflow's activities keep it current.

  /** The whole stored row (the API's view is `get`). */
  row(id: string): Promise<ConnectionRow | undefined>;
  /** Inserts the row unless one with this id exists (an idempotent retry); true when inserted. */
  insert(row: NewConnectionRow): Promise<boolean>;
  /** Only for a row whose workflow never started: nothing refers to it yet. */
  delete(id: string): Promise<void>;
  /** The PSU's address of the latest PSU-present request, read by the bank calls (never in history). */
  setPsuAddress(id: string, ip: string | null): Promise<void>;
  /** DELETE through our API: the API answers 404 for it from now on; the row stays for audit and the workflow. */
  markDeleted(id: string, at: number): Promise<void>;
  /**
   * The workflow's state as the API shows it; on a change of status, connection.status_changed
   * (and expiring_soon) and the audit event, all in one transaction.
   */
  recordStatus(input: ConnectionStatusInput, at: number): Promise<void>;
  /** The authorised consent becomes the connection's current one, with the terms the bank granted. */
  activateConsent(
    connectionId: string,
    consentId: string,
    terms: { validUntil: string; frequencyPerDay: number },
    at: number,
  ): Promise<void>;
  /** lastSyncAt (and lastError cleared, nextSyncAt when given) and connection.sync_completed, in one transaction. */
  recordSyncCompleted(input: SyncCompletedInput): Promise<void>;
  /** The audit trail of a connection's consents (consent_events). */
  recordEvent(event: ConsentEventValues): Promise<void>;
  /** Once per id: a retried sync attempt keeps its run's row. */
  startSyncRun(row: NewSyncRunRow): Promise<void>;
  finishSyncRun(id: string, values: Partial<Omit<SyncRunRow, 'id'>>): Promise<void>;
  syncRuns(connectionId: string): Promise<SyncRunRow[]>;
}
