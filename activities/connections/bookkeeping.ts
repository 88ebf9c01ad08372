import { and, eq } from 'drizzle-orm';
import { authorisations, connections } from '../../db/schema';
import type { ConnectionRecord, ConnectionTiming } from '../../workflows/connection/contract';
import type { ActivityDeps } from '../deps';
import { recordConnectionEvent } from '../../webhooks/outbox';
import { recordEvent, requireConnection } from './repository';

/** Our own records, no bank call: the read model the API serves, authorisations, the worker's timing. */
export function createBookkeepingActivities(deps: ActivityDeps) {
  const now = () => (deps.now ?? Date.now)();
  return {
    /**
     * Closes an authorisation the PSU never finished: the code and verifier are wiped. A session
     * the PSU did return through (its notice lost, e.g. Temporal was away) is left as it is and its
     * recorded outcome answered, so the workflow can still finish it.
     */
    async closeAuthorisation(input: {
      authorisationId: string;
      outcome: 'expired';
    }): Promise<{ recorded?: 'approved' | 'denied' | 'error'; error?: string } | undefined> {
      const closed = deps.db
        .update(authorisations)
        .set({ outcome: input.outcome, codeEnc: null, codeVerifierEnc: null, completedAt: now() })
        .where(and(eq(authorisations.id, input.authorisationId), eq(authorisations.outcome, 'pending')))
        .run();
      if (closed.changes > 0) return undefined;
      const session = deps.db.select().from(authorisations).where(eq(authorisations.id, input.authorisationId)).get();
      const recorded = session?.outcome;
      return recorded === 'approved' || recorded === 'denied' || recorded === 'error'
        ? { recorded, ...(session?.error ? { error: session.error } : {}) }
        : undefined;
    },

    /**
     * Mirrors the workflow's state into SQLite: everything the API shows (status, reason,
     * lastError, lastSyncAt, nextSyncAt), with an audit event when the status changes.
     */
    async recordConnectionStatus(input: ConnectionRecord) {
      const at = now();
      const before = requireConnection(deps.db, input.connectionId);
      // Webhooks (issue 11): the status and its webhook event commit in one transaction.
      deps.db.transaction((tx) => {
        tx.update(connections)
          .set({
            status: input.status,
            statusReason: input.reason ?? null,
            lastError: input.lastError ?? null,
            lastSyncAt: input.lastSyncAt ?? before.lastSyncAt,
            nextSyncAt: input.nextSyncAt ?? before.nextSyncAt,
            updatedAt: at,
          })
          .where(eq(connections.id, input.connectionId))
          .run();
        recordConnectionEvent(tx, { before, status: input.status, reason: input.reason, at });
      });
      if (before.status !== input.status) {
        recordEvent(
          deps.db,
          input.connectionId,
          'status_changed',
          { from: before.status, to: input.status, reason: input.reason },
          before.currentConsentId,
        );
      }
    },

    /**
     * The worker's connection timing. Every workflow run reads it at its start, so a changed
     * AUTHORISATION_TIMEOUT, SYNC_JITTER, ... reaches running connections at their next run.
     */
    async connectionTiming(): Promise<ConnectionTiming> {
      return deps.timing;
    },
  };
}
