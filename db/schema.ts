import { sql } from 'drizzle-orm';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Written by the ping workflow: proof that worker, activity and database are wired. */
export const pings = sqliteTable('pings', {
  id: text('id').primaryKey(),
  message: text('message').notNull(),
  workflowId: text('workflow_id').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`),
});
