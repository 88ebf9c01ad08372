import type { BankHandle } from '../../banks/directory';
import { Xs2aError } from '../../xs2a/errors';
import { tokenNeedsRefresh } from '../../xs2a/oauth/token-client';
import type { TokenSet } from '../../xs2a/operations/types';
import type { ActivityDeps } from '../deps';
import { loadTokens, storeTokens } from './repository';

/** The connection activities' deps with their defaults (completeness is checked when the worker starts). */
export function connectionDeps(deps: ActivityDeps) {
  return {
    ...deps,
    now: deps.now ?? Date.now,
    syncOverlapMs: deps.syncOverlapMs ?? 7 * 86_400_000,
    tokenRefreshMarginMs: deps.tokenRefreshMarginMs ?? deps.timing.tokenRefreshMarginMs,
  };
}
export type ConnectionDeps = ReturnType<typeof connectionDeps>;

/** Runs a consent resource call with the client token, renewing it once when the bank refuses the cached one. */
export function withClientToken<T>(
  bank: BankHandle,
  now: number,
  call: (accessToken: string | undefined) => Promise<T>,
): Promise<T> {
  return bank.sca.withClientToken(now, call);
}

/** The PSU's tokens as a read uses them: the access token (none where the bank uses none) and when they lapse. */
export interface PsuTokens {
  accessToken: string | undefined;
  /** True when this read refreshed them (or found them refreshed by another process). */
  refreshed: boolean;
  expiresAt?: number;
  refreshExpiresAt?: number;
}

/**
 * Token reads in flight in this process, by connection (ids are unique across databases): concurrent
 * activities of one connection share one. The bank rotates refresh tokens, so a second refresh with
 * the same one would be refused (invalid_grant, and the PSU would have to authorise again); and each
 * refresh spends the bank's request budget.
 */
const inFlight = new Map<string, Promise<PsuTokens>>();

/** The PSU's access token, refreshed first when it is about to expire (the refresh is stored here). */
export async function psuAccessToken(
  d: ConnectionDeps,
  bank: BankHandle,
  connectionId: string,
  consentRowId: string,
  force = false,
): Promise<string | undefined> {
  return (await psuTokens(d, bank, connectionId, consentRowId, force)).accessToken;
}

/**
 * The PSU's tokens for a read: refreshed right before it when expired or nearly so (or when forced,
 * after the bank refused the access token), once for all concurrent callers of this connection.
 */
export async function psuTokens(
  d: ConnectionDeps,
  bank: BankHandle,
  connectionId: string,
  consentRowId: string,
  force = false,
): Promise<PsuTokens> {
  for (let pending = inFlight.get(connectionId); pending; pending = inFlight.get(connectionId)) {
    const shared = await pending;
    // A forced refresh is satisfied only by a refresh (the shared read may have used the refused token).
    if (!force || shared.refreshed) return shared;
  }
  const read = readOrRefresh(d, bank, connectionId, consentRowId, force);
  inFlight.set(connectionId, read);
  try {
    return await read;
  } finally {
    if (inFlight.get(connectionId) === read) inFlight.delete(connectionId);
  }
}

/**
 * One token read. The refresh gets no cancellation signal: once sent, the bank may have rotated the
 * refresh token, so its answer must be stored even when the activity that asked was cancelled.
 */
async function readOrRefresh(
  d: ConnectionDeps,
  bank: BankHandle,
  connectionId: string,
  consentRowId: string,
  force: boolean,
): Promise<PsuTokens> {
  const now = d.now();
  const seen: { tokens?: TokenSet } = {};
  try {
    const { accessToken, refreshed } = await bank.sca.psuAccessToken({
      stored: async () => (seen.tokens = await loadTokens(d.repositories, d.cipher, connectionId)),
      force,
      refreshMarginMs: d.tokenRefreshMarginMs,
      now,
    });
    if (refreshed) await storeTokens(d.repositories, d.cipher, connectionId, consentRowId, refreshed, now);
    return tokensRead(accessToken, refreshed !== undefined, refreshed ?? seen.tokens);
  } catch (err) {
    // Another worker process may have rotated the refresh token a moment before: its tokens are stored.
    const used = seen.tokens;
    if (err instanceof Xs2aError && err.kind === 'grant_invalid' && used) {
      const latest = await loadTokens(d.repositories, d.cipher, connectionId);
      if (
        latest &&
        latest.refreshToken !== used.refreshToken &&
        !tokenNeedsRefresh(latest, d.tokenRefreshMarginMs, d.now())
      )
        return tokensRead(latest.accessToken, true, latest);
    }
    throw err;
  }
}

function tokensRead(accessToken: string | undefined, refreshed: boolean, tokens: TokenSet | undefined): PsuTokens {
  return {
    accessToken,
    refreshed,
    ...(tokens ? { expiresAt: tokens.expiresAt } : {}),
    ...(tokens?.refreshExpiresAt !== undefined ? { refreshExpiresAt: tokens.refreshExpiresAt } : {}),
  };
}
