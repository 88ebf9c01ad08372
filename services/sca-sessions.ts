import type { Client } from '@temporalio/client';
import type { ScaSubjectType } from '../db/schema';
import type { NewScaSessionRow, Repositories, ScaSessionRow } from '../repositories';
import type { TokenCipher } from '../secrets/token-cipher';
import { hashState } from '../xs2a/oauth/pkce';

/**
 * SCA sessions: a PSU's trip to the bank for one subject (a connection's consent, a payment), one
 * `authorisations` row each. The bank sends the PSU back to our one GET /callback with the state;
 * the session found by the state's hash says whose it is, and the subject's handler (registered
 * per subject type) tells the subject's workflow and says where the PSU goes next.
 */

export type ScaSession = ScaSessionRow;
export type NewScaSession = NewScaSessionRow;
export type { ScaSubjectType };

export interface CallbackQuery {
  state?: string;
  code?: string;
  error?: string;
  error_description?: string;
}

/** What the PSU is told: pending when the subject has not settled the return (yet). */
export type CallbackOutcome = 'approved' | 'denied' | 'pending' | 'error';

export interface ScaCallbackDeps {
  repositories: Repositories;
  temporal: Client;
  cipher: TokenCipher;
  now?: () => number;
  /** How long /callback waits for the subject's real outcome (default PSU_OUTCOME_WAIT_MS, 15 s). */
  psuOutcomeWaitMs?: number;
}

/** What a subject's handler hears of the PSU's return: the payload of its workflow's signal. */
export interface ScaCallbackNotice {
  authorisationId: string;
  /** What the bank's redirect said. */
  outcome: Exclude<CallbackOutcome, 'pending'>;
  error?: string;
}

/** One subject type's part in the callback. */
export interface ScaSubjectHandler {
  /**
   * Tells the subject's owner (its workflow) that the PSU is back. Called on the first return and
   * again on every reload of a decided, unexpired session (the first signal may never have
   * arrived): the receiver must ignore a session it is not waiting for. Answers the subject's real
   * outcome where it can tell (e.g. the consent checked at the bank), which the PSU is told
   * instead of what the redirect claimed; void leaves the redirect's.
   */
  notify(deps: ScaCallbackDeps, session: ScaSession, notice: ScaCallbackNotice): Promise<CallbackOutcome | void>;
  /** Where to send the PSU: the product's redirect URL with the subject's id and the outcome. */
  redirectTo(deps: ScaCallbackDeps, session: ScaSession, outcome: CallbackOutcome): string | Promise<string>;
}

/** The handlers by subject type; a subject type without one cannot finish SCA through /callback. */
export class ScaSubjectRegistry {
  private readonly handlers = new Map<ScaSubjectType, ScaSubjectHandler>();

  register(type: ScaSubjectType, handler: ScaSubjectHandler): this {
    if (this.handlers.has(type)) throw new Error(`an SCA handler for ${type} is already registered`);
    this.handlers.set(type, handler);
    return this;
  }

  has(type: ScaSubjectType): boolean {
    return this.handlers.has(type);
  }

  get(type: ScaSubjectType): ScaSubjectHandler {
    const handler = this.handlers.get(type);
    if (!handler) throw new Error(`no SCA handler is registered for ${type}`);
    return handler;
  }
}

/**
 * The callback cannot be honoured: no state (400, the link cannot be read), or a state naming no
 * SCA session we hold, unknown or expired (404: no such authorisation session).
 */
export class ScaCallbackError extends Error {
  readonly field = 'state';
  constructor(
    message: string,
    readonly status: 400 | 404 = 404,
  ) {
    super(message);
    this.name = 'ScaCallbackError';
  }
}

export interface ScaCallbackResult {
  subjectType: ScaSubjectType;
  subjectId: string;
  authorisationId: string;
  outcome: CallbackOutcome;
  redirectTo: string;
}

/** The product's redirect URL with the subject's id (e.g. `connectionId`, `paymentId`) and the outcome. */
export function productRedirect(
  redirectUrl: string,
  idParam: string,
  subjectId: string,
  outcome: CallbackOutcome,
): string {
  const target = new URL(redirectUrl);
  target.searchParams.set(idParam, subjectId);
  target.searchParams.set('outcome', outcome);
  return target.toString();
}

const recordedOutcome = (outcome: ScaSession['outcome']): ScaCallbackNotice['outcome'] =>
  outcome === 'approved' ? 'approved' : outcome === 'denied' ? 'denied' : 'error';

/**
 * The PSU's return from the bank. Finds the SCA session by the state's hash, keeps the code
 * encrypted in the database (never in workflow history), records the outcome, lets the subject's
 * handler tell its workflow and answers where to send the PSU with the subject's real outcome.
 * The PSU's address is kept in the session row, never sent to a workflow.
 */
export async function handleScaCallback(
  deps: ScaCallbackDeps,
  subjects: ScaSubjectRegistry,
  query: CallbackQuery,
  psuIpAddress?: string,
): Promise<ScaCallbackResult> {
  if (!query.state) throw new ScaCallbackError('the callback carries no state', 400);
  const session = await deps.repositories.scaSessions.findByStateHash(hashState(query.state));
  if (!session) throw new ScaCallbackError('unknown or expired state');
  const handler = subjects.get(session.subjectType);
  const now = (deps.now ?? Date.now)();

  let outcome: CallbackOutcome;
  if (session.outcome !== 'pending') {
    // The PSU reloaded the page: tell the subject again, in case the first notice never arrived
    // (Temporal briefly away), and answer its outcome; an expired session is over and tells nobody.
    const recorded = recordedOutcome(session.outcome);
    outcome = recorded;
    if (session.outcome !== 'expired') {
      outcome =
        (await handler.notify(deps, session, {
          authorisationId: session.id,
          outcome: recorded,
          error: session.error ?? undefined,
        })) ?? recorded;
    }
  } else {
    if (session.expiresAt < now) throw new ScaCallbackError('this authorisation has expired');
    const said: ScaCallbackNotice['outcome'] = query.error
      ? query.error === 'access_denied'
        ? 'denied'
        : 'error'
      : 'approved';
    const code = query.code ? deps.cipher.encrypt(query.code, `${session.id}:code`) : undefined;
    // Code and verifier share one key id: after a key rotation mid-authorisation, move the verifier over.
    const verifier =
      code && session.codeVerifierEnc && code.keyId !== session.keyId
        ? deps.cipher.encrypt(
            deps.cipher.decrypt(session.keyId, session.codeVerifierEnc, `${session.id}:verifier`),
            `${session.id}:verifier`,
          ).value
        : session.codeVerifierEnc;
    await deps.repositories.scaSessions.update(session.id, {
      outcome: said,
      codeEnc: code?.value ?? null,
      codeVerifierEnc: verifier,
      keyId: code?.keyId ?? session.keyId,
      // Under another key the URL would not decrypt; the PSU has used it anyway.
      ...(code && code.keyId !== session.keyId ? { authorisationUrlEnc: null } : {}),
      error: query.error ?? null,
      psuIpAddress: psuIpAddress ?? session.psuIpAddress,
    });
    outcome =
      (await handler.notify(deps, session, { authorisationId: session.id, outcome: said, error: query.error })) ?? said;
  }
  return {
    subjectType: session.subjectType,
    subjectId: session.subjectId,
    authorisationId: session.id,
    outcome,
    redirectTo: await handler.redirectTo(deps, session, outcome),
  };
}
