/**
 * The PostgreSQL twin of db/schema.ts (SQLite): the same tables, columns and indexes, with the
 * same TypeScript types, so that repositories and (later) activities read alike on both backends.
 * Epoch milliseconds are bigint (mode 'number'), JSON is jsonb (json where bytes matter), booleans are boolean.
 *
 * Keep it in step with db/schema.ts: when a table or column is added there (payments, webhooks,
 * …), add it here too, then generate the PostgreSQL migration next to the SQLite one:
 *   npx drizzle-kit generate --config drizzle.pg.config.ts --name <what-changed>
 * which writes db/migrations-pg/NNNN_<what-changed>.sql (applied by db/pg/client.ts on open).
 *
 * Text that we sort or page on (ids, dates, balance types) is `text COLLATE "C"`: SQLite compares
 * text bytewise, PostgreSQL by the database's locale unless told otherwise, and a cursor must
 * mean the same order on both.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { ConnectionStatus, ScaSubjectType, WebhookDeliveryStatus } from '../schema';
import type { PaymentStatus, StatusChange } from '../../workflows/payment/contract';

/** Bytewise-ordered text (see above). */
const ctext = customType<{ data: string; driverData: string }>({ dataType: () => 'text COLLATE "C"' });

/** Epoch milliseconds, and SQLite's 64-bit integer ids: numbers in TypeScript (exact below 2^53). */
const epochMs = (name: string) => bigint(name, { mode: 'number' });
const now = sql`(floor(extract(epoch from clock_timestamp()) * 1000))::bigint`;
const createdAt = () => epochMs('created_at').notNull().default(now);
const updatedAt = () => epochMs('updated_at').notNull().default(now);

export const pings = pgTable('pings', {
  id: text('id').primaryKey(),
  message: text('message').notNull(),
  workflowId: text('workflow_id').notNull(),
  createdAt: timestamp('created_at', { mode: 'date', withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

export const connections = pgTable(
  'connections',
  {
    id: ctext('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    aspspId: text('aspsp_id').notNull(),
    status: text('status').$type<ConnectionStatus>().notNull(),
    statusReason: text('status_reason'),
    redirectUrl: text('redirect_url').notNull(),
    currentConsentId: text('current_consent_id'),
    requestedValidUntil: text('requested_valid_until'),
    frequencyPerDay: integer('frequency_per_day').notNull().default(4),
    access: jsonb('access').$type<Record<string, unknown>>(),
    lastSyncAt: epochMs('last_sync_at'),
    nextSyncAt: epochMs('next_sync_at'),
    lastError: text('last_error'),
    /** The PSU's IP of the latest PSU-present request: bank calls read it here, never from history. */
    psuIpAddress: text('psu_ip_address'),
    /** When a product deleted the connection through the API: 404 from then on; the row stays. */
    deletedAt: epochMs('deleted_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('connections_customer').on(t.customerId)],
);

export const consents = pgTable(
  'consents',
  {
    id: text('id').primaryKey(),
    connectionId: ctext('connection_id')
      .notNull()
      .references(() => connections.id),
    bankConsentId: text('bank_consent_id').notNull(),
    status: text('status').notNull(),
    validUntil: text('valid_until').notNull(),
    frequencyPerDay: integer('frequency_per_day').notNull(),
    recurringIndicator: boolean('recurring_indicator').notNull(),
    authorisedAt: epochMs('authorised_at'),
    endedAt: epochMs('ended_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('consents_bank_id').on(t.connectionId, t.bankConsentId)],
);

export const consentStatusHistory = pgTable('consent_status_history', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
  consentId: text('consent_id')
    .notNull()
    .references(() => consents.id),
  status: text('status').notNull(),
  at: epochMs('at').notNull().default(now),
});

export const authorisations = pgTable(
  'authorisations',
  {
    id: text('id').primaryKey(),
    subjectType: text('subject_type').$type<ScaSubjectType>().notNull(),
    subjectId: text('subject_id').notNull(),
    connectionId: ctext('connection_id').references(() => connections.id),
    consentId: text('consent_id').references(() => consents.id),
    stateHash: text('state_hash').notNull(),
    keyId: text('key_id').notNull(),
    codeVerifierEnc: text('code_verifier_enc'),
    codeEnc: text('code_enc'),
    outcome: text('outcome')
      .$type<'pending' | 'approved' | 'denied' | 'error' | 'expired'>()
      .notNull()
      .default('pending'),
    error: text('error'),
    psuIpAddress: text('psu_ip_address'),
    /** Where the PSU goes to approve, encrypted: an OAuth bank's URL carries the state. */
    authorisationUrlEnc: text('authorisation_url_enc'),
    expiresAt: epochMs('expires_at').notNull(),
    completedAt: epochMs('completed_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('authorisations_state').on(t.stateHash),
    index('authorisations_subject').on(t.subjectType, t.subjectId),
  ],
);

export const tokens = pgTable('tokens', {
  connectionId: ctext('connection_id')
    .primaryKey()
    .references(() => connections.id),
  consentId: text('consent_id').notNull(),
  keyId: text('key_id').notNull(),
  accessTokenEnc: text('access_token_enc').notNull(),
  refreshTokenEnc: text('refresh_token_enc'),
  expiresAt: epochMs('expires_at').notNull(),
  refreshExpiresAt: epochMs('refresh_expires_at'),
  updatedAt: updatedAt(),
});

export const accounts = pgTable(
  'accounts',
  {
    id: ctext('id').primaryKey(),
    connectionId: ctext('connection_id')
      .notNull()
      .references(() => connections.id),
    resourceId: text('resource_id').notNull(),
    kind: text('kind').$type<'account' | 'card-account'>().notNull(),
    iban: text('iban'),
    bban: text('bban'),
    maskedPan: text('masked_pan'),
    currency: text('currency').notNull(),
    name: text('name'),
    product: text('product'),
    ownerName: text('owner_name'),
    cashAccountType: text('cash_account_type'),
    status: text('status').$type<'active' | 'gone'>().notNull().default('active'),
    lastBookedDate: text('last_booked_date'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('accounts_connection').on(t.connectionId), index('accounts_resource').on(t.connectionId, t.resourceId)],
);

export const balances = pgTable(
  'balances',
  {
    accountId: ctext('account_id')
      .notNull()
      .references(() => accounts.id),
    balanceType: ctext('balance_type').notNull(),
    amount: text('amount').notNull(),
    currency: text('currency').notNull(),
    referenceDate: text('reference_date'),
    lastChangeDateTime: text('last_change_date_time'),
    creditLimitIncluded: boolean('credit_limit_included'),
    fetchedAt: epochMs('fetched_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.balanceType] })],
);

export const balanceHistory = pgTable(
  'balance_history',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    accountId: ctext('account_id')
      .notNull()
      .references(() => accounts.id),
    balanceType: text('balance_type').notNull(),
    amount: text('amount').notNull(),
    currency: text('currency').notNull(),
    referenceDate: text('reference_date'),
    fetchedAt: epochMs('fetched_at').notNull(),
  },
  (t) => [index('balance_history_account').on(t.accountId, t.fetchedAt)],
);

/** A payment initiated for a customer at a bank (PIS); the payment workflow owns its status. */
export const payments = pgTable(
  'payments',
  {
    id: ctext('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    aspspId: text('aspsp_id').notNull(),
    product: text('product').notNull(),
    status: text('status').$type<PaymentStatus>().notNull(),
    bankStatus: text('bank_status'),
    statusReason: text('status_reason'),
    statusHistory: jsonb('status_history').$type<StatusChange[]>().notNull(),
    lastError: text('last_error'),
    debtorIban: text('debtor_iban').notNull(),
    creditorIban: text('creditor_iban').notNull(),
    creditorName: text('creditor_name').notNull(),
    amount: text('amount').notNull(),
    currency: text('currency').notNull(),
    remittanceInformation: text('remittance_information'),
    requestedExecutionDate: text('requested_execution_date'),
    redirectUrl: text('redirect_url').notNull(),
    psuIpAddress: text('psu_ip_address'),
    bankPaymentId: text('bank_payment_id'),
    initiationRequestId: text('initiation_request_id'),
    initiationState: text('initiation_state')
      .$type<'ready' | 'sending' | 'sent' | 'lost' | 'refused'>()
      .notNull()
      .default('ready'),
    authorisationId: text('authorisation_id'),
    authorisationUrl: text('authorisation_url'),
    keyId: text('key_id'),
    scaStateEnc: text('sca_state_enc'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('payments_customer').on(t.customerId, t.createdAt, t.id)],
);

export const transactions = pgTable(
  'transactions',
  {
    id: ctext('id').primaryKey(),
    accountId: ctext('account_id')
      .notNull()
      .references(() => accounts.id),
    bankTransactionId: text('bank_transaction_id'),
    fingerprint: text('fingerprint').notNull(),
    bookingStatus: text('booking_status').$type<'booked' | 'pending'>().notNull(),
    bookingDate: text('booking_date'),
    valueDate: text('value_date'),
    transactionDate: text('transaction_date'),
    date: ctext('date').notNull(),
    amount: text('amount').notNull(),
    currency: text('currency').notNull(),
    creditorName: text('creditor_name'),
    debtorName: text('debtor_name'),
    remittanceInformation: text('remittance_information'),
    /** The bank's additionalInformation (BEC's banks put the transaction's text here). */
    additionalInformation: text('additional_information'),
    /** The text products see: the remittance text, or what the bank profile takes instead. */
    description: text('description'),
    entryReference: text('entry_reference'),
    raw: jsonb('raw').$type<Record<string, unknown>>(),
    firstSeenAt: epochMs('first_seen_at').notNull(),
    updatedAt: epochMs('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('transactions_bank_id').on(t.accountId, t.bankTransactionId),
    uniqueIndex('transactions_fingerprint').on(t.accountId, t.fingerprint),
    index('transactions_account_date').on(t.accountId, t.date, t.id),
    // A sync reads an account's pending rows and the rows its fetch names, not the whole history.
    index('transactions_account_status').on(t.accountId, t.bookingStatus),
  ],
);

export const syncRuns = pgTable(
  'sync_runs',
  {
    id: text('id').primaryKey(),
    connectionId: ctext('connection_id')
      .notNull()
      .references(() => connections.id),
    consentId: text('consent_id'),
    reason: text('reason').notNull(),
    psuPresent: boolean('psu_present').notNull(),
    startedAt: epochMs('started_at').notNull(),
    endedAt: epochMs('ended_at'),
    outcome: text('outcome'),
    accounts: integer('accounts').notNull().default(0),
    transactionsUpserted: integer('transactions_upserted').notNull().default(0),
    transactionsRemoved: integer('transactions_removed').notNull().default(0),
    bankCalls: integer('bank_calls').notNull().default(0),
    error: text('error'),
  },
  (t) => [index('sync_runs_connection').on(t.connectionId, t.startedAt)],
);

export const accessCounters = pgTable(
  'access_counters',
  {
    consentId: text('consent_id').notNull(),
    endpoint: text('endpoint').notNull(),
    day: text('day').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.consentId, t.endpoint, t.day] })],
);

/** See db/schema.ts; epoch microseconds stay below 2^53 until the year 2255. */
export const bankRequestSlots = pgTable('bank_request_slots', {
  bankId: text('bank_id').primaryKey(),
  tatUs: bigint('tat_us', { mode: 'number' }).notNull(),
  day: text('day').notNull(),
  dayCount: integer('day_count').notNull(),
  lastSlotUs: bigint('last_slot_us', { mode: 'number' }),
});

export const consentEvents = pgTable(
  'consent_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
    connectionId: ctext('connection_id')
      .notNull()
      .references(() => connections.id),
    consentId: text('consent_id'),
    event: text('event').notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    at: epochMs('at').notNull().default(now),
  },
  (t) => [index('consent_events_connection').on(t.connectionId, t.at)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull(),
    customerIds: jsonb('customer_ids').$type<string[] | null>(),
    scopes: jsonb('scopes').$type<string[] | null>(),
    createdAt: createdAt(),
    revokedAt: epochMs('revoked_at'),
    lastUsedAt: epochMs('last_used_at'),
  },
  (t) => [uniqueIndex('api_keys_hash').on(t.keyHash)],
);

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    apiKeyId: text('api_key_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code'),
    // json, not jsonb: a replay answers the very bytes of the first response (jsonb reorders keys).
    response: json('response').$type<unknown>(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.apiKeyId, t.key] })],
);

// --- Webhooks (issue 11) -------------------------------------------------------------------------

/**
 * A product's webhook endpoint. The signing secret is stored only encrypted (the token cipher, bound
 * to the endpoint id); during a rotation the previous secret keeps signing until previous_expires_at.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: ctext('id').primaryKey(),
    url: text('url').notNull(),
    description: text('description'),
    /** Event types delivered; null means all. */
    events: jsonb('events').$type<string[] | null>(),
    /** Customers whose events this endpoint receives (those of the API key that created it); null means all. */
    customerIds: jsonb('customer_ids').$type<string[] | null>(),
    keyId: text('key_id').notNull(),
    secretEnc: text('secret_enc').notNull(),
    previousKeyId: text('previous_key_id'),
    previousSecretEnc: text('previous_secret_enc'),
    previousExpiresAt: epochMs('previous_expires_at'),
    status: text('status').$type<'enabled' | 'disabled'>().notNull().default('enabled'),
    disabledReason: text('disabled_reason'),
    deletedAt: epochMs('deleted_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('webhook_endpoints_status').on(t.status)],
);

/**
 * The outbox: one row per event, written in the same transaction as the change it reports, under
 * an id derived from that change (a retried activity writes nothing new). payload is the exact body
 * sent (text, not jsonb: the signature covers its bytes). dispatched_at is set once the dispatcher
 * has started a delivery per matching endpoint.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: ctext('id').primaryKey(),
    type: text('type').notNull(),
    customerId: text('customer_id').notNull(),
    subjectId: text('subject_id').notNull(),
    payload: text('payload').notNull(),
    createdAt: epochMs('created_at').notNull(),
    dispatchedAt: epochMs('dispatched_at'),
  },
  (t) => [
    index('webhook_events_pending').on(t.dispatchedAt, t.createdAt),
    index('webhook_events_subject').on(t.subjectId),
  ],
);

/** One event to one endpoint; driven by one delivery workflow (plus one per redelivery). */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: ctext('id').primaryKey(),
    eventId: ctext('event_id')
      .notNull()
      .references(() => webhookEvents.id),
    endpointId: ctext('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    status: text('status').$type<WebhookDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    redeliveries: integer('redeliveries').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    lastAttemptAt: epochMs('last_attempt_at'),
    nextAttemptAt: epochMs('next_attempt_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_endpoint').on(t.eventId, t.endpointId),
    index('webhook_deliveries_endpoint').on(t.endpointId, t.createdAt),
  ],
);
