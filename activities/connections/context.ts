import type { BankHandle } from '../../banks/directory';
import type { ActivityDeps } from '../deps';
import { workerTiming } from './bookkeeping';
import { Xs2aError } from '../../xs2a/errors';
import { tokenNeedsRefresh } from '../../xs2a/oauth/token-client';
import type { TokenSet } from '../../xs2a/operations/types';
import { loadTokens, storeTokens } from './repository';

/** The deps the connection activities cannot run without, checked once. */
export function connectionDeps(deps: ActivityDeps) {
  const { banks, cipher, callbackUrl } = deps;
  if (!banks || !cipher || !callbackUrl) {
    throw new Xs2aError('connection activities need banks, a token cipher and a callback URL', {
      kind: 'configuration',
    });
  }
  return {
    ...deps,
    banks,
    cipher,
    callbackUrl,
    now: deps.now ?? Date.now,
    syncOverlapMs: deps.syncOverlapMs ?? 7 * 86_400_000,
    tokenRefreshMarginMs: deps.tokenRefreshMarginMs ?? workerTiming(deps).tokenRefreshMarginMs,
  };
}
export type ConnectionDeps = ReturnType<typeof connectionDeps>;

/**
 * Client-credentials tokens for consent calls, cached per bank in the process:
 * they are the TPP's, not a PSU's, and asking for one per call would spend the
 * bank's request budget for nothing. Never persisted.
 */
const clientTokens = new Map<string, TokenSet>();
/** Concurrent activities share one token request instead of each spending the bank's budget. */
const inFlight = new Map<string, Promise<TokenSet>>();

export async function clientToken(bank: BankHandle, now: number): Promise<string | undefined> {
  if (bank.profile.scaApproach !== 'oauth2-integrated') return undefined;
  const id = bank.profile.id;
  const cached = clientTokens.get(id);
  if (cached && !tokenNeedsRefresh(cached, 30_000, now)) return cached.accessToken;
  let pending = inFlight.get(id);
  if (!pending) {
    pending = bank.client.tokens().clientCredentials();
    inFlight.set(id, pending);
    pending
      .then(
        (fresh) => clientTokens.set(id, fresh),
        () => undefined,
      )
      .finally(() => inFlight.delete(id));
  }
  return (await pending).accessToken;
}

/** The PSU's access token, refreshed first when it is about to expire. */
export async function psuAccessToken(
  d: ConnectionDeps,
  bank: BankHandle,
  connectionId: string,
  consentRowId: string,
  force = false,
  signal?: AbortSignal,
): Promise<string | undefined> {
  if (bank.profile.scaApproach !== 'oauth2-integrated') return undefined;
  const now = d.now();
  const current = loadTokens(d.db, d.cipher, connectionId);
  if (!current)
    throw new Xs2aError('no PSU token is stored for this connection', {
      kind: 'grant_invalid',
      aspsp: bank.profile.id,
    });
  if (!force && !tokenNeedsRefresh(current, d.tokenRefreshMarginMs, now)) return current.accessToken;
  if (!current.refreshToken)
    throw new Xs2aError('the PSU token expired and the bank gave no refresh token', {
      kind: 'grant_invalid',
      aspsp: bank.profile.id,
    });
  const refreshed = await bank.client.tokens().refresh(current.refreshToken, { signal });
  storeTokens(
    d.db,
    d.cipher,
    connectionId,
    consentRowId,
    { ...refreshed, refreshToken: refreshed.refreshToken ?? current.refreshToken },
    now,
  );
  return refreshed.accessToken;
}
