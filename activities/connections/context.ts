import type { BankHandle } from '../../banks/directory';
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

/** The PSU's access token, refreshed first when it is about to expire (the refresh is stored here). */
export async function psuAccessToken(
  d: ConnectionDeps,
  bank: BankHandle,
  connectionId: string,
  consentRowId: string,
  force = false,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const now = d.now();
  const { accessToken, refreshed } = await bank.sca.psuAccessToken({
    stored: () => loadTokens(d.repositories, d.cipher, connectionId),
    force,
    refreshMarginMs: d.tokenRefreshMarginMs,
    now,
    signal,
  });
  if (refreshed) await storeTokens(d.repositories, d.cipher, connectionId, consentRowId, refreshed, now);
  return accessToken;
}
