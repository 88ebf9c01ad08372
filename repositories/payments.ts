import type { PaymentStatus, StatusChange } from '../workflows/payment/contract';
import type { PaymentStatusInput } from './plans/status';
import type { NewScaSessionRow, PaymentRow } from './rows';

export type { PaymentStatusInput } from './plans/status';

/**
 * Payments: the API and services create the row and read it; the payment workflow's activities
 * write the initiation and status fields. SQLite: repositories/sqlite/payments.ts, PostgreSQL:
 * repositories/pg/payments.ts.
 */

export interface PaymentRecord {
  id: string;
  customerId: string;
  aspspId: string;
  product: string;
  status: PaymentStatus;
  bankStatus: string | null;
  statusReason: string | null;
  statusHistory: StatusChange[];
  lastError: string | null;
  debtorIban: string;
  creditorIban: string;
  creditorName: string;
  amount: string;
  currency: string;
  remittanceInformation: string | null;
  requestedExecutionDate: string | null;
  redirectUrl: string;
  authorisationUrl: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewPayment {
  id: string;
  customerId: string;
  aspspId: string;
  product: string;
  debtorIban: string;
  creditorIban: string;
  creditorName: string;
  amount: string;
  currency: string;
  remittanceInformation?: string;
  requestedExecutionDate?: string;
  redirectUrl: string;
  psuIpAddress?: string;
  createdAt: number;
}

/** The position after the last row of a page in (createdAt desc, id desc) order. */
export interface PaymentCursor {
  createdAt: number;
  id: string;
}

export interface PaymentListQuery {
  /** These customers' payments; null: every customer's. */
  customerIds: readonly string[] | null;
  status?: PaymentStatus;
  after?: PaymentCursor;
  limit: number;
}

export interface PaymentRepository {
  /** Inserts the row unless one with this id exists (an idempotent retry); true when inserted. */
  create(payment: NewPayment): Promise<boolean>;
  get(id: string): Promise<PaymentRecord | undefined>;
  list(query: PaymentListQuery): Promise<{ items: PaymentRecord[]; next?: PaymentCursor }>;

  /** The whole stored row (initiation and SCA columns too). */
  row(id: string): Promise<PaymentRow | undefined>;
  update(id: string, values: Partial<Omit<PaymentRow, 'id'>>, at: number): Promise<void>;
  /** The SCA session and the payment's initiation fields (request id, encrypted state), in one transaction. */
  prepareInitiation(session: NewScaSessionRow, values: Partial<Omit<PaymentRow, 'id'>>, at: number): Promise<void>;
  /** Status, bank status, reason, history and payment.status_changed, in one transaction. */
  recordStatus(input: PaymentStatusInput, at: number): Promise<void>;
}

/** What a backend's payments row holds of a record (the SQLite and PostgreSQL rows alike). */
export type PaymentRecordRow = PaymentRecord & Record<string, unknown>;

/** The record the API shows, from either backend's row (it leaves out the SCA and initiation columns). */
export function paymentRecord(row: PaymentRecordRow): PaymentRecord {
  return {
    id: row.id,
    customerId: row.customerId,
    aspspId: row.aspspId,
    product: row.product,
    status: row.status,
    bankStatus: row.bankStatus,
    statusReason: row.statusReason,
    statusHistory: row.statusHistory,
    lastError: row.lastError,
    debtorIban: row.debtorIban,
    creditorIban: row.creditorIban,
    creditorName: row.creditorName,
    amount: row.amount,
    currency: row.currency,
    remittanceInformation: row.remittanceInformation,
    requestedExecutionDate: row.requestedExecutionDate,
    redirectUrl: row.redirectUrl,
    authorisationUrl: row.authorisationUrl,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
