import type {
  accessCounters,
  accounts,
  authorisations,
  connections,
  consents,
  payments,
  syncRuns,
  tokens,
  transactions,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from '../db/schema';

/**
 * The stored rows the write side works with. db/schema.ts (SQLite) and db/pg/schema.ts (PostgreSQL)
 * give them the same TypeScript types (test/db/pg-schema.test.ts keeps the tables alike), so one
 * type serves both backends.
 */
export type ConnectionRow = typeof connections.$inferSelect;
export type NewConnectionRow = typeof connections.$inferInsert;
export type ConsentRow = typeof consents.$inferSelect;
export type NewConsentRow = typeof consents.$inferInsert;
export type ScaSessionRow = typeof authorisations.$inferSelect;
export type NewScaSessionRow = typeof authorisations.$inferInsert;
export type TokenRow = typeof tokens.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;
export type TransactionRow = typeof transactions.$inferSelect;
export type SyncRunRow = typeof syncRuns.$inferSelect;
export type NewSyncRunRow = typeof syncRuns.$inferInsert;
export type AccessCounterRow = typeof accessCounters.$inferSelect;
export type PaymentRow = typeof payments.$inferSelect;
export type WebhookEventRow = typeof webhookEvents.$inferSelect;
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
