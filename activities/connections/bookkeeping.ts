import type { ConnectionRecord, ConnectionTiming } from '../../workflows/connection/contract';
import type { ActivityDeps } from '../deps';

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
      const closed = await deps.repositories.scaSessions.closeIfPending(input.authorisationId, {
        outcome: input.outcome,
        codeEnc: null,
        codeVerifierEnc: null,
        completedAt: now(),
      });
      if (closed) return undefined;
      const session = await deps.repositories.scaSessions.get(input.authorisationId);
      const recorded = session?.outcome;
      return recorded === 'approved' || recorded === 'denied' || recorded === 'error'
        ? { recorded, ...(session?.error ? { error: session.error } : {}) }
        : undefined;
    },

    /**
     * Mirrors the workflow's state into the database: everything the API shows (status, reason,
     * lastError, lastSyncAt, nextSyncAt), with an audit event when the status changes. Webhooks
     * (issue 11): the status and its webhook events commit in one transaction.
     */
    async recordConnectionStatus(input: ConnectionRecord) {
      await deps.repositories.connections.recordStatus(input, now());
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
