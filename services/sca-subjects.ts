import { eq } from 'drizzle-orm';
import { connections } from '../db/schema';
import { psuCallbackSignal } from '../workflows/connection/messages';
import { workflowIdFor } from '../workflows/connection/types';
import { paymentScaSubject } from './payments';
import { productRedirect, ScaSubjectRegistry, type ScaSubjectHandler } from './sca-sessions';

/**
 * A connection's SCA session (its consent's authorisation): the connection workflow hears of the
 * PSU's return through its `psuCallback` signal, and the PSU goes to the connection's redirectUrl
 * with `connectionId` and `outcome`.
 */
export const connectionScaSubject: ScaSubjectHandler = {
  async notify(deps, session, notice) {
    await deps.temporal.workflow.getHandle(workflowIdFor(session.subjectId)).signal(psuCallbackSignal, notice);
  },
  redirectTo(deps, session, outcome) {
    const connection = deps.db.select().from(connections).where(eq(connections.id, session.subjectId)).get();
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
