import type { Db } from '../../db/client';
import { webhookEvents } from '../../db/schema';
import type { OutboxRow } from '../../webhooks/outbox';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Outbox rows go in with the change they report (same transaction); an id already there is ignored. */
export function sqliteEnqueue(tx: Db | Tx, rows: OutboxRow[]): void {
  if (rows.length) tx.insert(webhookEvents).values(rows).onConflictDoNothing().run();
}
