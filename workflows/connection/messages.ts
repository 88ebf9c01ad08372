import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AuthorisationUrlResult,
  ConnectionView,
  PsuCallback,
  PsuReturnedResult,
  ReauthoriseRequest,
  ReauthoriseResult,
  RevokeResult,
  SyncNowResult,
  SyncRequest,
} from './contract';

// The names below are recorded in running workflows' histories: never rename them.

/** The PSU came back from the bank (the API's /callback). Carries no code: that stays encrypted in SQLite. */
export const psuCallbackSignal = defineSignal<[PsuCallback]>('psuCallback');

/**
 * The PSU came back from the bank (the API's /callback): answers the real outcome once the
 * workflow has settled this return (consent checked at the bank), so the PSU is told the truth.
 * Replaces the psuCallback signal for new callbacks; the signal stays for running histories.
 */
export const psuReturnedUpdate = defineUpdate<PsuReturnedResult, [PsuCallback]>('psuReturned');

/** Resolves once the consent exists and the PSU has somewhere to go. */
export const authorisationUrlUpdate = defineUpdate<AuthorisationUrlResult, []>('authorisationUrl');

export const syncNowUpdate = defineUpdate<SyncNowResult, [SyncRequest]>('syncNow');

/** A new consent for the same connection: same connection id, same account ids. */
export const reauthoriseUpdate = defineUpdate<ReauthoriseResult, [ReauthoriseRequest]>('reauthorise');

export const revokeUpdate = defineUpdate<RevokeResult, []>('revoke');

export const statusQuery = defineQuery<ConnectionView>('status');
