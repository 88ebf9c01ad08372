import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { CONNECTION_STATUSES, type ConnectionStatus } from '../workflows/connection/contract';
import type { PaymentStatus, StatusChange } from '../workflows/payment/contract';

const now = sql`(unixepoch('subsec') * 1000)`;
const createdAt = () => integer('created_at', { mode: 'number' }).notNull().default(now);
const updatedAt = () => integer('updated_at', { mode: 'number' }).notNull().default(now);

/** Written by the ping workflow: proof that worker, activity and database are wired. */
export const pings = sqliteTable('pings', {
  id: text('id').primaryKey(),
  message: text('message').notNull(),
  workflowId: text('workflow_id').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull().default(now),
});

// The statuses belong to the connection workflow's contract; re-exported for existing imports.
export { CONNECTION_STATUSES, type ConnectionStatus };

/** One customer of ours at one bank; lives as long as the customer keeps it, across consents. */
export const connections = sqliteTable(
  'connections',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    aspspId: text('aspsp_id').notNull(),
    status: text('status').$type<ConnectionStatus>().notNull(),
    statusReason: text('status_reason'),
    /** Where our product wants the PSU to land after the bank. */
    redirectUrl: text('redirect_url').notNull(),
    currentConsentId: text('current_consent_id'),
    requestedValidUntil: text('requested_valid_until'),
    frequencyPerDay: integer('frequency_per_day').notNull().default(4),
    access: text('access', { mode: 'json' }).$type<Record<string, unknown>>(),
    lastSyncAt: integer('last_sync_at'),
    nextSyncAt: integer('next_sync_at'),
    lastError: text('last_error'),
    /**
     * The PSU's IP address of the latest PSU-present request (create, re-authorise, sync now): the
     * bank calls read it here, so it never enters workflow history (the workflow carries a flag).
     */
    psuIpAddress: text('psu_ip_address'),
    /**
     * When a product deleted the connection through the API (DELETE /v1/connections/{id}): the API
     * answers 404 for it from then on; the row stays for audit, webhooks and the workflow.
     */
    deletedAt: integer('deleted_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('connections_customer').on(t.customerId)],
);

export const consents = sqliteTable(
  'consents',
  {
    id: text('id').primaryKey(),
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id),
    bankConsentId: text('bank_consent_id').notNull(),
    /** The bank's consentStatus: received, valid, rejected, expired, revokedByPsu, terminatedByTpp. */
    status: text('status').notNull(),
    validUntil: text('valid_until').notNull(),
    frequencyPerDay: integer('frequency_per_day').notNull(),
    recurringIndicator: integer('recurring_indicator', { mode: 'boolean' }).notNull(),
    authorisedAt: integer('authorised_at'),
    endedAt: integer('ended_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('consents_bank_id').on(t.connectionId, t.bankConsentId)],
);

export const consentStatusHistory = sqliteTable('consent_status_history', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  consentId: text('consent_id')
    .notNull()
    .references(() => consents.id),
  status: text('status').notNull(),
  at: integer('at').notNull().default(now),
});

/** What an SCA session authorises: a connection's consent, or a payment. */
export type ScaSubjectType = 'connection' | 'payment';

/**
 * An SCA session: a PSU's pending trip to the bank for one subject (a connection's consent or a
 * payment), found again by the state the bank hands back on /callback. The state is stored only as
 * a hash; the PKCE verifier and the returned code only encrypted: neither ever enters workflow
 * history. connection_id and consent_id are set for connections' sessions only.
 */
export const authorisations = sqliteTable(
  'authorisations',
  {
    id: text('id').primaryKey(),
    subjectType: text('subject_type').$type<ScaSubjectType>().notNull(),
    subjectId: text('subject_id').notNull(),
    connectionId: text('connection_id').references(() => connections.id),
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
    /**
     * Where the PSU goes to approve, encrypted (key_id, AAD "<id>:url"): an OAuth bank's URL carries
     * the state, so the URL stays out of workflow history and the API reads it here.
     */
    authorisationUrlEnc: text('authorisation_url_enc'),
    expiresAt: integer('expires_at').notNull(),
    completedAt: integer('completed_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('authorisations_state').on(t.stateHash),
    index('authorisations_subject').on(t.subjectType, t.subjectId),
  ],
);

/** The PSU's OAuth tokens for a connection, AES-256-GCM encrypted; key_id names the key for rotation. */
export const tokens = sqliteTable('tokens', {
  connectionId: text('connection_id')
    .primaryKey()
    .references(() => connections.id),
  consentId: text('consent_id').notNull(),
  keyId: text('key_id').notNull(),
  accessTokenEnc: text('access_token_enc').notNull(),
  refreshTokenEnc: text('refresh_token_enc'),
  expiresAt: integer('expires_at').notNull(),
  refreshExpiresAt: integer('refresh_expires_at'),
  updatedAt: updatedAt(),
});

/** Our stable account ids: matched across consents on the bank's resourceId, IBAN or masked PAN. */
export const accounts = sqliteTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    connectionId: text('connection_id')
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
    /** active, or gone when a newer consent no longer lists it. */
    status: text('status').$type<'active' | 'gone'>().notNull().default('active'),
    lastBookedDate: text('last_booked_date'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('accounts_connection').on(t.connectionId), index('accounts_resource').on(t.connectionId, t.resourceId)],
);

export const balances = sqliteTable(
  'balances',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    balanceType: text('balance_type').notNull(),
    amount: text('amount').notNull(),
    currency: text('currency').notNull(),
    referenceDate: text('reference_date'),
    lastChangeDateTime: text('last_change_date_time'),
    creditLimitIncluded: integer('credit_limit_included', { mode: 'boolean' }),
    fetchedAt: integer('fetched_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.balanceType] })],
);

/** A row per observed change of a balance. */
export const balanceHistory = sqliteTable(
  'balance_history',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    balanceType: text('balance_type').notNull(),
    amount: text('amount').notNull(),
    currency: text('currency').notNull(),
    referenceDate: text('reference_date'),
    fetchedAt: integer('fetched_at').notNull(),
  },
  (t) => [index('balance_history_account').on(t.accountId, t.fetchedAt)],
);

/**
 * One row per real-world transaction: keyed on the bank's transactionId, or a
 * fingerprint where the bank gives none. A pending row turns into the booked one
 * (same internal id) even when the bank issues a new transactionId on booking.
 */
export const transactions = sqliteTable(
  'transactions',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id),
    bankTransactionId: text('bank_transaction_id'),
    fingerprint: text('fingerprint').notNull(),
    bookingStatus: text('booking_status').$type<'booked' | 'pending'>().notNull(),
    bookingDate: text('booking_date'),
    valueDate: text('value_date'),
    transactionDate: text('transaction_date'),
    /** The date we sort and filter on: bookingDate, else transactionDate, else valueDate. */
    date: text('date').notNull(),
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
    raw: text('raw', { mode: 'json' }).$type<Record<string, unknown>>(),
    firstSeenAt: integer('first_seen_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('transactions_bank_id').on(t.accountId, t.bankTransactionId),
    uniqueIndex('transactions_fingerprint').on(t.accountId, t.fingerprint),
    index('transactions_account_date').on(t.accountId, t.date, t.id),
    // A sync reads an account's pending rows and the rows its fetch names, not the whole history.
    index('transactions_account_status').on(t.accountId, t.bookingStatus),
  ],
);

export const syncRuns = sqliteTable(
  'sync_runs',
  {
    id: text('id').primaryKey(),
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id),
    consentId: text('consent_id'),
    reason: text('reason').notNull(),
    psuPresent: integer('psu_present', { mode: 'boolean' }).notNull(),
    startedAt: integer('started_at').notNull(),
    endedAt: integer('ended_at'),
    outcome: text('outcome'),
    accounts: integer('accounts').notNull().default(0),
    transactionsUpserted: integer('transactions_upserted').notNull().default(0),
    transactionsRemoved: integer('transactions_removed').notNull().default(0),
    bankCalls: integer('bank_calls').notNull().default(0),
    error: text('error'),
  },
  (t) => [index('sync_runs_connection').on(t.connectionId, t.startedAt)],
);

/** Unattended reads per consent, endpoint and UTC day: PSD2's frequencyPerDay, enforced durably on our side. */
export const accessCounters = sqliteTable(
  'access_counters',
  {
    consentId: text('consent_id').notNull(),
    endpoint: text('endpoint').notNull(),
    day: text('day').notNull(),
    count: integer('count').notNull(),
  },
  (t) => [primaryKey({ columns: [t.consentId, t.endpoint, t.day] })],
);

/**
 * Each rate-limited bank's next free request slot, shared by every worker process (GCRA): a
 * request reserves `max(tat, now)` and moves `tat` one interval on, in one atomic step
 * (repositories/bank-request-slots.ts). Times are epoch microseconds; `day`/`day_count` count the
 * UTC day's requests for the bank's daily budget; `last_slot_us` is the slot the last caller got
 * (null: refused).
 */
export const bankRequestSlots = sqliteTable('bank_request_slots', {
  bankId: text('bank_id').primaryKey(),
  tatUs: integer('tat_us').notNull(),
  day: text('day').notNull(),
  dayCount: integer('day_count').notNull(),
  lastSlotUs: integer('last_slot_us'),
});

/** Audit trail of everything that happened to a connection's consents. */
export const consentEvents = sqliteTable(
  'consent_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id),
    consentId: text('consent_id'),
    event: text('event').notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
    at: integer('at').notNull().default(now),
  },
  (t) => [index('consent_events_connection').on(t.connectionId, t.at)],
);

/** Keys our products use on the REST API; only a SHA-256 of the key is stored. */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull(),
    /** Customer ids this key may act for; null means all. */
    customerIds: text('customer_ids', { mode: 'json' }).$type<string[] | null>(),
    /** e.g. connections:read, connections:write, accounts:read; null means all. */
    scopes: text('scopes', { mode: 'json' }).$type<string[] | null>(),
    createdAt: createdAt(),
    revokedAt: integer('revoked_at'),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [uniqueIndex('api_keys_hash').on(t.keyHash)],
);

/** Idempotency-Key replay store for POST requests, per API key. */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    apiKeyId: text('api_key_id').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code'),
    response: text('response', { mode: 'json' }).$type<unknown>(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.apiKeyId, t.key] })],
);

/**
 * One payment a product initiated (PIS), mirrored by its workflow (`payment:<id>`). The initiation's
 * X-Request-ID is stored before the request is sent; `initiation_state` says how far that request
 * got (ready, sending, sent, lost, refused), so a retry never re-sends one whose answer was lost.
 * The SCA state for the redirect URIs is kept only encrypted (key_id), like verifiers and codes.
 */
export const payments = sqliteTable(
  'payments',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    aspspId: text('aspsp_id').notNull(),
    product: text('product').notNull(),
    status: text('status').$type<PaymentStatus>().notNull(),
    /** The bank's ISO 20022 transaction status, as last seen. */
    bankStatus: text('bank_status'),
    statusReason: text('status_reason'),
    statusHistory: text('status_history', { mode: 'json' }).$type<StatusChange[]>().notNull(),
    lastError: text('last_error'),
    debtorIban: text('debtor_iban').notNull(),
    creditorIban: text('creditor_iban').notNull(),
    creditorName: text('creditor_name').notNull(),
    amount: text('amount').notNull(),
    currency: text('currency').notNull(),
    remittanceInformation: text('remittance_information'),
    requestedExecutionDate: text('requested_execution_date'),
    /** Where our product wants the PSU to land after the bank. */
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

// --- Webhooks (issue 11) -------------------------------------------------------------------------

/**
 * A product's webhook endpoint. The signing secret is stored only encrypted (the token cipher, bound
 * to the endpoint id); during a rotation the previous secret keeps signing until previous_expires_at.
 */
export const webhookEndpoints = sqliteTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    url: text('url').notNull(),
    description: text('description'),
    /** Event types delivered; null means all. */
    events: text('events', { mode: 'json' }).$type<string[] | null>(),
    /** Customers whose events this endpoint receives (those of the API key that created it); null means all. */
    customerIds: text('customer_ids', { mode: 'json' }).$type<string[] | null>(),
    keyId: text('key_id').notNull(),
    secretEnc: text('secret_enc').notNull(),
    previousKeyId: text('previous_key_id'),
    previousSecretEnc: text('previous_secret_enc'),
    previousExpiresAt: integer('previous_expires_at'),
    status: text('status').$type<'enabled' | 'disabled'>().notNull().default('enabled'),
    disabledReason: text('disabled_reason'),
    deletedAt: integer('deleted_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('webhook_endpoints_status').on(t.status)],
);

/**
 * The outbox: one row per event, written in the same transaction as the change it reports, under
 * an id derived from that change (a retried activity writes nothing new). payload is the exact body
 * sent. dispatched_at is set once the dispatcher has started a delivery per matching endpoint.
 */
export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    customerId: text('customer_id').notNull(),
    subjectId: text('subject_id').notNull(),
    payload: text('payload').notNull(),
    createdAt: integer('created_at').notNull(),
    dispatchedAt: integer('dispatched_at'),
  },
  (t) => [
    index('webhook_events_pending').on(t.dispatchedAt, t.createdAt),
    index('webhook_events_subject').on(t.subjectId),
  ],
);

export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';

/** One event to one endpoint; driven by one delivery workflow (plus one per redelivery). */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    eventId: text('event_id')
      .notNull()
      .references(() => webhookEvents.id),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    status: text('status').$type<WebhookDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    redeliveries: integer('redeliveries').notNull().default(0),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    lastAttemptAt: integer('last_attempt_at'),
    nextAttemptAt: integer('next_attempt_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_event_endpoint').on(t.eventId, t.endpointId),
    index('webhook_deliveries_endpoint').on(t.endpointId, t.createdAt),
  ],
);
