import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ConnectionView, PsuCallback, SyncRequest, SyncSummary } from './types';

/** The PSU came back from the bank (the API's /callback). Carries no code: that stays encrypted in SQLite. */
export const psuCallbackSignal = defineSignal<[PsuCallback]>('psuCallback');

/** Resolves once the consent exists and the PSU has somewhere to go. */
export const authorisationUrlUpdate = defineUpdate<{ authorisationUrl: string; status: string }, []>(
  'authorisationUrl',
);

export const syncNowUpdate = defineUpdate<SyncSummary, [SyncRequest]>('syncNow');

/** A new consent for the same connection: same connection id, same account ids. */
export const reauthoriseUpdate = defineUpdate<
  { authorisationUrl: string; status: string },
  [{ psuIpAddress?: string }]
>('reauthorise');

export const revokeUpdate = defineUpdate<{ status: string }, []>('revoke');

export const statusQuery = defineQuery<ConnectionView>('status');
