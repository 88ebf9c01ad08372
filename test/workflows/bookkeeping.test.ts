import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createBookkeepingActivities } from '../../activities/connections/bookkeeping';
import { connections, consentEvents } from '../../db/schema';
import type { ConnectionTiming } from '../../workflows/connection/contract';
import { tempDatabase } from '../helpers/db';
import { pingActivityDeps } from '../helpers/ping-deps';

const TIMING: ConnectionTiming = {
  authorisationTimeoutMs: 1_000,
  expiringSoonWarningMs: 2_000,
  tokenRefreshMarginMs: 3_000,
  syncJitterMs: 4_000,
  maxCyclesPerRun: 5,
};

describe('bookkeeping activities: the read model the API serves, and the worker timing', () => {
  const database = tempDatabase();
  afterAll(() => database.remove());
  const activities = createBookkeepingActivities({
    ...pingActivityDeps(database.db),
    timing: TIMING,
    now: () => 1_000_000,
  });
  database.db
    .insert(connections)
    .values({
      id: 'con_1',
      customerId: 'cus_1',
      aspspId: 'bec',
      status: 'awaiting_authorisation',
      redirectUrl: 'https://p.example/r',
    })
    .run();
  const row = () => database.db.select().from(connections).where(eq(connections.id, 'con_1')).get()!;

  it('writes status, reason, lastError, lastSyncAt and nextSyncAt, with an event per status change', async () => {
    await activities.recordConnectionStatus({
      connectionId: 'con_1',
      status: 'active',
      lastSyncAt: 10,
      nextSyncAt: 20,
    });
    expect(row()).toMatchObject({
      status: 'active',
      statusReason: null,
      lastError: null,
      lastSyncAt: 10,
      nextSyncAt: 20,
    });

    await activities.recordConnectionStatus({
      connectionId: 'con_1',
      status: 'active',
      lastError: 'the bank answered 503',
      nextSyncAt: 30,
    });
    // An absent lastSyncAt keeps the stored one; the error is shown.
    expect(row()).toMatchObject({
      status: 'active',
      lastError: 'the bank answered 503',
      lastSyncAt: 10,
      nextSyncAt: 30,
    });

    await activities.recordConnectionStatus({
      connectionId: 'con_1',
      status: 'reauth_required',
      reason: 'refresh refused',
      lastError: 'refresh refused',
      lastSyncAt: 40,
    });
    expect(row()).toMatchObject({
      status: 'reauth_required',
      statusReason: 'refresh refused',
      lastError: 'refresh refused',
      lastSyncAt: 40,
      nextSyncAt: 30,
    });

    // A write without lastError clears it.
    await activities.recordConnectionStatus({ connectionId: 'con_1', status: 'active', lastSyncAt: 50 });
    expect(row()).toMatchObject({ status: 'active', statusReason: null, lastError: null, lastSyncAt: 50 });

    const events = database.db.select().from(consentEvents).where(eq(consentEvents.connectionId, 'con_1')).all();
    expect(events.map((e) => [e.event, e.detail?.from, e.detail?.to])).toEqual([
      ['status_changed', 'awaiting_authorisation', 'active'],
      ['status_changed', 'active', 'reauth_required'],
      ['status_changed', 'reauth_required', 'active'],
    ]);
  });

  it("connectionTiming answers the worker's timing", async () => {
    expect(await activities.connectionTiming()).toEqual(TIMING);
  });
});
