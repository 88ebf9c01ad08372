/**
 * A connection's state and the rules that move it: what is due, when, and what a bank failure
 * or the PSU's answer means. Pure and deterministic (the clock is passed in), so the workflow
 * only wires messages, timers and activities around it.
 */
import {
  DORMANT_STATUSES,
  SYNCING_STATUSES,
  bankFailureEffect,
  bankFailureKind,
  failureMessage,
  invalidStateFailure,
  isBankFailure,
  isOurFault,
  type BankFailureEffect,
  type ConnectionRecord,
  type ConnectionState,
  type ConnectionStatus,
  type ConnectionTiming,
  type ConnectionView,
  type ConnectionWorkflowInput,
  type PsuCallback,
  type PsuOutcome,
  type ReauthoriseRequest,
} from './contract';

export const DAY_MS = 86_400_000;

export class ConnectionLifecycle {
  readonly state: ConnectionState;
  /** Set once per run: the worker's (connectionTiming) or, for runs of the previous release, the input's. */
  timing: ConnectionTiming | undefined;
  /** The PSU's answer for the authorisation being waited on. */
  callback: PsuCallback | undefined;
  revokeRequested = false;
  reauthoriseRequested: ReauthoriseRequest | undefined;
  /** Scheduled syncs in this run (continue-as-new after timing.maxCyclesPerRun). */
  cycles = 0;
  /**
   * After a refresh failed on our side: not before this instant again (the normal sync cadence),
   * so a configuration problem does not spin. Unset in runs without the our-fault patch.
   */
  refreshRetryAt: number | undefined;
  /**
   * Runs that know the refresh-on-use patch: bank reads refresh the access token themselves, and
   * the workflow wakes for token upkeep only before the refresh token would lapse.
   */
  refreshOnUse = false;
  /** The settled outcome of each PSU return heard in this run, by authorisation id. */
  readonly verdicts = new Map<string, PsuOutcome>();
  /** Counts settled returns, so a psuReturned update can wait for the one after its arrival. */
  verdictSeq = 0;
  /** Counts finished starts of an authorisation (URL ready, or failed), so an update can wait for "its" round. */
  authorisationRounds = 0;

  constructor(private readonly input: ConnectionWorkflowInput) {
    this.state = input.carried ?? { status: 'awaiting_authorisation' };
  }

  get connectionId(): string {
    return this.input.connectionId;
  }

  get status(): ConnectionStatus {
    return this.state.status;
  }

  requireTiming(): ConnectionTiming {
    if (!this.timing) throw new Error('connection timing is not loaded yet');
    return this.timing;
  }

  view(): ConnectionView {
    return {
      ...this.state,
      connectionId: this.input.connectionId,
      customerId: this.input.customerId,
      aspspId: this.input.aspspId,
    };
  }

  /** Everything the API shows, for recordConnectionStatus. */
  record(): ConnectionRecord {
    const { status, statusReason, lastError, lastSyncAt, nextSyncAt } = this.state;
    return { connectionId: this.input.connectionId, status, reason: statusReason, lastError, lastSyncAt, nextSyncAt };
  }

  /** Applies a status; false when nothing changed (then nothing is written either). */
  applyStatus(status: ConnectionStatus, reason?: string): boolean {
    if (this.state.status === status && this.state.statusReason === reason) return false;
    this.state.status = status;
    this.state.statusReason = reason;
    return true;
  }

  // --- time -------------------------------------------------------------------------------------

  /** First instant after the consent's last valid day. */
  expiryAt(): number {
    return this.state.consent ? Date.parse(`${this.state.consent.validUntil}T00:00:00Z`) + DAY_MS : Infinity;
  }

  expiringSoonAt(): number {
    return this.expiryAt() - this.requireTiming().expiringSoonWarningMs;
  }

  /**
   * When the tokens need the workflow: before the access token expires (runs without refresh-on-use),
   * or before the refresh token lapses (with it; never when its lifetime is unknown). Syncs come
   * first when they are due sooner, and a sync that refreshed reports the new expiry.
   */
  refreshAt(): number {
    const consent = this.state.consent;
    const expiresAt = this.refreshOnUse ? consent?.refreshTokenExpiresAt : consent?.tokenExpiresAt;
    if (expiresAt === undefined) return Infinity;
    const due = expiresAt - this.requireTiming().tokenRefreshMarginMs;
    return this.refreshRetryAt === undefined ? due : Math.max(due, this.refreshRetryAt);
  }

  syncing(): boolean {
    return SYNCING_STATUSES.includes(this.state.status);
  }

  dormant(): boolean {
    return DORMANT_STATUSES.includes(this.state.status);
  }

  /** Next unattended sync: 24 h / frequencyPerDay (or the fixed interval) plus jitter that only ever adds. */
  scheduleNextSync(from: number, random: () => number): void {
    this.state.nextSyncAt = this.nextSyncFrom(from, random);
  }

  nextSyncFrom(from: number, random: () => number): number {
    const timing = this.requireTiming();
    const perDay = this.state.consent?.frequencyPerDay ?? 4;
    const interval = timing.syncIntervalMs ?? Math.ceil(DAY_MS / perDay);
    return from + interval + Math.floor(random() * timing.syncJitterMs);
  }

  /** When the main loop must wake up next if nothing arrives. */
  wakeAt(): number {
    return Math.min(
      this.state.nextSyncAt ?? Infinity,
      this.refreshAt(),
      this.expiryAt(),
      this.state.status === 'active' ? this.expiringSoonAt() : Infinity,
    );
  }

  /** What a bank read (refresh-on-use) reports about the tokens it used or refreshed. */
  tokensReported(tokens: { tokenExpiresAt?: number; refreshTokenExpiresAt?: number }): void {
    const consent = this.state.consent;
    if (!consent || !this.refreshOnUse) return;
    if (tokens.tokenExpiresAt !== undefined) consent.tokenExpiresAt = tokens.tokenExpiresAt;
    if (tokens.refreshTokenExpiresAt !== undefined) consent.refreshTokenExpiresAt = tokens.refreshTokenExpiresAt;
  }

  /** After a refresh failed on our side: try again after one sync interval, like a sync. */
  deferRefresh(from: number): void {
    const timing = this.requireTiming();
    this.refreshRetryAt =
      from + (timing.syncIntervalMs ?? Math.ceil(DAY_MS / (this.state.consent?.frequencyPerDay ?? 4)));
  }

  /** The status a freshly authorised consent starts in. */
  authorisedStatus(now: number): ConnectionStatus {
    return now >= this.expiringSoonAt() ? 'expiring_soon' : 'active';
  }

  // --- failures ---------------------------------------------------------------------------------

  /**
   * Records a failed bank call's message as lastError and says what it means for the connection.
   * With `oursKeepsStatus` (runs that know the our-fault patch) a failure of ours keeps the status.
   */
  bankFailure(err: unknown, oursKeepsStatus = false): BankFailureEffect & { reason: string } {
    const message = failureMessage(err);
    this.state.lastError = message;
    const kind = bankFailureKind(err);
    if (oursKeepsStatus && isOurFault(kind)) return { kind: 'ours', reason: message };
    // A bank failure of a kind this release does not know is permanent, like any unclassified one.
    const effect: BankFailureEffect =
      kind === undefined && isBankFailure(err) ? { kind: 'status', status: 'failed' } : bankFailureEffect(kind);
    const reason = effect.kind === 'status' && effect.status === 'revoked' ? 'revoked by the PSU at the bank' : message;
    return { ...effect, reason };
  }

  // --- messages ---------------------------------------------------------------------------------

  onPsuCallback(answer: PsuCallback): void {
    if (this.state.authorisation?.id === answer.authorisationId) this.callback = answer;
  }

  /** Records what a PSU return came to (what the PSU is told). */
  settle(authorisationId: string, outcome: PsuOutcome): void {
    this.verdicts.set(authorisationId, outcome);
    this.verdictSeq++;
  }

  /** The PSU's outcome for an authorisation: its settled one, else what the connection's status says. */
  outcomeFor(authorisationId: string): PsuOutcome {
    const settled = this.verdicts.get(authorisationId);
    if (settled) return settled;
    if (this.state.authorisation?.id === authorisationId || this.state.status === 'awaiting_authorisation')
      return 'pending';
    if (this.syncing()) return 'approved';
    return this.state.status === 'rejected' ? 'denied' : 'error';
  }

  /** The waiting authorisation's last return was refused by the bank (its code spent or foreign). */
  authorisationSpoilt(): boolean {
    const waiting = this.state.authorisation;
    return waiting !== undefined && this.verdicts.get(waiting.id) === 'error';
  }

  validateSyncNow(): void {
    if (!this.syncing())
      throw invalidStateFailure(`connection is ${this.state.status}; a sync needs an active consent`);
  }

  validateReauthorise(): void {
    if (this.state.status === 'revoked') throw invalidStateFailure('connection is revoked; create a new one');
    // A waiting authorisation whose code the bank refused (spent by a mismatched callback) may be
    // replaced: the PSU cannot finish it any more.
    if (this.state.authorisation && !this.authorisationSpoilt())
      throw invalidStateFailure('an authorisation is already waiting for the PSU');
  }

  validateRevoke(): void {
    if (this.state.status === 'revoked') throw invalidStateFailure('connection is already revoked');
  }
}
