/**
 * A request limit shared beyond this process: every worker calling one bank asks the same
 * limiter (the application backs it with its database), so the bank's limit holds for the fleet.
 * The transport asks it for every request, after the in-process RateBudget, right before signing
 * and sending: the slot it hands out is the moment the request goes.
 */
export interface RequestLimiter {
  /**
   * Resolves when this request may be sent. Rejects with an Xs2aError 'rate_limited' (with
   * retryAfterMs) when the request may not go soon, and with the signal's reason when aborted.
   * Any other rejection means the limiter could not be asked; nothing is sent then either.
   */
  acquire(signal?: AbortSignal): Promise<void>;
}
