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
    /** Closes an authorisation the PSU never finished: the code and verifier are wiped. */
    async closeAuthorisation(input: { authorisationId: string; outcome: 'expired' }) {
      deps.db
        .update(authorisations)
        .set({ outcome: input.outcome, codeEnc: null, codeVerifierEnc: null, completedAt: now() })
        .where(and(eq(authorisations.id, input.authorisationId), eq(authorisations.outcome, 'pending')))
        .run();
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
