import type { PgDb } from '../../db/pg/client';
import { webhookEvents } from '../../db/pg/schema';
import type { OutboxRow } from '../../webhooks/outbox';

export type PgTx = Parameters<Parameters<PgDb['transaction']>[0]>[0];

/** Outbox rows go in with the change they report (same transaction); an id already there is ignored. */
export async function pgEnqueue(tx: PgDb | PgTx, rows: OutboxRow[]): Promise<void> {
  if (rows.length) await tx.insert(webhookEvents).values(rows).onConflictDoNothing();
}
