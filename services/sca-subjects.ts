import { psuReturnedUpdate } from '../workflows/connection/messages';
import { workflowIdFor } from '../workflows/connection/types';
import { paymentScaSubject } from './payments';
import { isTemporalUnavailable } from './temporal-errors';
import { productRedirect, ScaSubjectRegistry, type CallbackOutcome, type ScaSubjectHandler } from './sca-sessions';

/**
 * How long the PSU's browser waits at /callback for the connection's real outcome (the consent
 * checked at the bank, the code exchanged). After that the PSU is told `pending`, never an
 * unverified `approved`; the workflow finishes the authorisation anyway.
 */
export const PSU_OUTCOME_WAIT_MS = 15_000;
/** How long /callback waits for Temporal to accept the PSU's return before showing the retry page. */
export const PSU_ACCEPT_DEADLINE_MS = 5_000;

async function within<T>(ms: number, promise: Promise<T>, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A connection's SCA session (its consent's authorisation): the connection workflow hears of the
 * PSU's return through its `psuReturned` update, which answers the real outcome (approved only
 * once the bank says the consent is valid), and the PSU goes to the connection's redirectUrl with
 * `connectionId` and that `outcome`. Running histories of the previous release also know the
 * `psuCallback` signal, which stays registered.
 */
export const connectionScaSubject: ScaSubjectHandler = {
  async notify(deps, session, notice): Promise<CallbackOutcome> {
    const waitMs = deps.psuOutcomeWaitMs ?? PSU_OUTCOME_WAIT_MS;
    const handle = deps.temporal.workflow.getHandle(workflowIdFor(session.subjectId));
    let update;
    try {
      // Bounded too: during an outage the PSU gets the retry page in seconds, not after the
      // client's retries (about 20 s).
      update = await deps.temporal.connection.withDeadline(Date.now() + PSU_ACCEPT_DEADLINE_MS, () =>
        handle.startUpdate(psuReturnedUpdate, { args: [notice], waitForStage: 'ACCEPTED' }),
      );
    } catch (err) {
      // Temporal away: the return is saved in the session row; the PSU gets a page to retry.
      if (isTemporalUnavailable(err)) throw err;
      // The connection's workflow is over (revoked) or gone: nothing was approved.
      return 'error';
    }
    // A bounded wait for the result: on time-out the PSU is told pending, never approved unverified.
    const result = update.result().then(
      (r) => r.outcome,
      (err: unknown) => (isTemporalUnavailable(err) ? 'pending' : 'error'),
    );
    return within<CallbackOutcome>(waitMs, result, 'pending');
  },
  async redirectTo(deps, session, outcome) {
    const connection = await deps.repositories.connections.row(session.subjectId);
    if (!connection) throw new Error(`SCA session ${session.id} names connection ${session.subjectId}, which is gone`);
    return productRedirect(connection.redirectUrl, 'connectionId', connection.id, outcome);
  },
};

/**
 * Every subject type that can send a PSU through SCA and back to /callback. The payments feature
 * adds one line: `.register('payment', paymentScaSubject)`, with a handler that signals
 * `payment:<paymentId>` and redirects with `productRedirect(redirectUrl, 'paymentId', paymentId, outcome)`.
 */
export function createScaSubjects(): ScaSubjectRegistry {
  return new ScaSubjectRegistry().register('connection', connectionScaSubject).register('payment', paymentScaSubject);
}

/** The registry the API's /callback and `handlePsuCallback` use unless given another. */
export const scaSubjects = createScaSubjects();
