/**
 * Temporal history accounting for the connection benchmark: how many events one
 * sync cycle adds to a connection's workflow history. Event kinds are read from
 * which `...EventAttributes` field an event carries, so no enum import is needed.
 */
import type { Client } from '@temporalio/client';
import { workflowIdFor } from '../workflows/connection/types';

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

export interface CycleBreakdown {
  cycles: number;
  eventsPerCycle: number;
  /** Event kind → events per cycle, e.g. { ActivityTaskScheduled: 1, TimerStarted: 1 }. */
  kinds: Record<string, number>;
}

export async function historyOf(client: Client, connectionId: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowIdFor(connectionId)).fetchHistory();
  return history.events ?? [];
}

/** "ActivityTaskScheduled" for an event carrying activityTaskScheduledEventAttributes. */
export function eventKind(event: HistoryEvent): string {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventAttributes') && value) return key[0].toUpperCase() + key.slice(1, -'EventAttributes'.length);
  }
  return `type${String(event.eventType)}`;
}

function kindsPer(events: HistoryEvent[], cycles: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) counts[eventKind(e)] = (counts[eventKind(e)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).map(([k, n]) => [k, Math.round((n / cycles) * 100) / 100]));
}

/** The `reason` a syncConnection activity was scheduled with (its input is plain JSON). */
function syncReason(event: HistoryEvent): string | undefined {
  const attrs = event.activityTaskScheduledEventAttributes;
  if (attrs?.activityType?.name !== 'syncConnection') return undefined;
  const data = attrs.input?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    return (JSON.parse(Buffer.from(data).toString('utf8')) as { reason?: string }).reason;
  } catch {
    return undefined;
  }
}

/**
 * Events per scheduled cycle, steady state: the events between the first and the
 * last scheduled syncConnection activity in the history, divided by the cycles
 * between them. Both ends are the same point of a cycle, so nothing is half counted.
 */
export function scheduledCycle(events: HistoryEvent[], usableSyncs: number): CycleBreakdown | undefined {
  const starts = events.flatMap((e, i) => (syncReason(e) === 'scheduled' ? [i] : [])).slice(0, usableSyncs);
  if (starts.length < 2) return undefined;
  const cycles = starts.length - 1;
  const window = events.slice(starts[0], starts.at(-1));
  return { cycles, eventsPerCycle: window.length / cycles, kinds: kindsPer(window, cycles) };
}

/** Events added by on-demand syncs that ran between two fetches of the same (quiescent) history. */
export function onDemandCycle(before: HistoryEvent[], after: HistoryEvent[], syncs: number): CycleBreakdown {
  const added = after.slice(before.length);
  return { cycles: syncs, eventsPerCycle: added.length / syncs, kinds: kindsPer(added, syncs) };
}
