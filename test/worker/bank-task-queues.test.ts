/**
 * Bank-calling activities run on their bank's own task queue (patch bank-task-queues), where the
 * Temporal server dispatches at most the profile's requests per second for every worker together.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { createBankDirectory } from '../../banks/directory';
import { sandboxBankSetups } from '../../banks/sandbox-setup';
import { createConnection } from '../../services/connections';
import { confirmFunds } from '../../services/payments';
import { bankTaskQueue } from '../../temporal/bank-task-queues';
import { workflowIdFor } from '../../workflows/connection/types';
import { waitForStatus } from '../lifecycle/helpers';
import { testLogger } from '../helpers/logger';
import { startStack, type Stack } from '../helpers/stack';
import { startTestWorker } from '../helpers/temporal';
import { createWorker } from '../../worker/worker';
import { parseEnv } from '../../config/env';
import { workerTuningFromEnv } from '../../config/worker-tuning';

const EventType = temporal.api.enums.v1.EventType;

describe('per-bank activity task queues', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => stack?.stop());

  it("a new connection's bank calls run on the bank's queue, its bookkeeping on the service's; the queue carries the bank's rate", async () => {
    const created = await createConnection(stack.deps, {
      customerId: 'c-queues',
      aspspId: 'enfuce-rocker',
      redirectUrl: 'https://p.example/r',
      psuIpAddress: '192.0.2.1',
    });
    await stack.psu(created.authorisationUrl, 'approve');
    await waitForStatus(stack, created.id, 'active');
    const history = await stack.deps.temporal.workflow.getHandle(workflowIdFor(created.id)).fetchHistory();
    const scheduled = (history.events ?? [])
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => ({
        activity: e.activityTaskScheduledEventAttributes!.activityType!.name!,
        queue: e.activityTaskScheduledEventAttributes!.taskQueue!.name!,
      }));
    const bankQueue = bankTaskQueue(stack.deps.taskQueue, 'enfuce-rocker');
    const queueOf = (activity: string) => [
      ...new Set(scheduled.filter((s) => s.activity === activity).map((s) => s.queue)),
    ];
    expect(queueOf('createConsent')).toEqual([bankQueue]);
    expect(queueOf('completeAuthorisation')).toEqual([bankQueue]);
    expect(queueOf('syncConnection')).toEqual([bankQueue]);
    expect(queueOf('recordConnectionStatus')).toEqual([stack.deps.taskQueue]);
    expect(queueOf('connectionTiming')).toEqual([stack.deps.taskQueue]);
    // The patch's marker (its id is in the encrypted details) comes before the first bank activity.
    const events = history.events ?? [];
    const marker = events.findIndex((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
    const firstBankCall = events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name === bankQueue,
    );
    expect(marker).toBeGreaterThanOrEqual(0);
    expect(marker).toBeLessThan(firstBankCall);

    // The server caps the queue at the Enfuce sandbox's 5 requests/s × 4 partitions, as the worker's poller set it.
    const described = await stack.deps.temporal.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: bankQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      reportConfig: true,
    });
    expect(described.effectiveRateLimit?.requestsPerSecond).toBe(20);
  });

  it("the server dispatches a bank queue's activities no faster than its limit, whatever the demand", async () => {
    // A worker whose BEC profile says 0.5 requests/s: its queue dispatches 2 activities/s, 0.5/s from each
    // of its 4 partitions (no fleet limiter here: only the queue paces).
    const setups = sandboxBankSetups(stack.sandbox, stack.tpp).map((s) =>
      s.profile.id === 'bec'
        ? { ...s, profile: { ...s.profile, rateLimit: { perSecond: 0.5, perDay: 1_000_000 } } }
        : s,
    );
    const banks = createBankDirectory(setups, testLogger(), { now: () => stack.sandbox.clock.now().getTime() });
    await stack.stopWorker();
    const limited = await startTestWorker(
      { ...stack.activityDeps, banks },
      { taskQueue: stack.deps.taskQueue, dataConverter: stack.dataConverter },
    );
    try {
      const isFunds = (e: { path: string }) => e.path.endsWith('/funds-confirmations');
      const before = stack.sandbox.requestLog('bec').filter(isFunds).length;
      const asked = 10;
      const answers = await Promise.all(
        Array.from({ length: asked }, () =>
          confirmFunds(stack.deps, {
            aspspId: 'bec',
            customerId: 'c-funds',
            account: { iban: 'DK1961406140009127' },
            instructedAmount: { currency: 'DKK', amount: '1.00' },
          }),
        ),
      );
      expect(answers.every((a) => a.fundsAvailable)).toBe(true);
      const times = stack.sandbox
        .requestLog('bec')
        .filter(isFunds)
        .slice(before)
        .map((e) => Date.parse(e.time))
        .sort((a, b) => a - b);
      expect(times).toHaveLength(asked);
      const spanMs = times.at(-1)! - times[0];
      console.log(`[bank-task-queues] ${asked} activities on a 2/s queue: dispatched over ${spanMs} ms`);
      // All within a moment without the queue's limit; with it, at most 2/s (bursts of one per partition).
      expect(spanMs).toBeGreaterThanOrEqual(3_000);
    } finally {
      await limited.stop({ keepClient: true });
      await banks.close();
      await stack.startWorker();
    }
  });

  it('a worker process serves one queue per configured bank, tuned from WORKER_*', async () => {
    const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    try {
      const tuning = workerTuningFromEnv(
        parseEnv({
          WORKER_MAX_CONCURRENT_ACTIVITIES: '7',
          WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '6',
          WORKER_MAX_CACHED_WORKFLOWS: '50',
          WORKER_BANK_MAX_CONCURRENT_ACTIVITIES: '3',
        }),
      );
      const worker = await createWorker({
        connection,
        namespace: 'default',
        taskQueue: 'tuned',
        deps: stack.activityDeps,
        workflowBundlePath: inject('workflowBundlePath'),
        tuning,
      });
      const running = worker.run();
      worker.shutdown();
      await running;
      const slots = (w: (typeof worker)['main']) => ({
        activities: w.options.tuner.activityTaskSlotSupplier,
        workflowTasks: w.options.tuner.workflowTaskSlotSupplier,
      });
      expect(slots(worker.main)).toMatchObject({
        activities: { numSlots: 7 },
        workflowTasks: { numSlots: 6 },
      });
      expect(worker.main.options.maxCachedWorkflows).toBe(50);
      expect([...worker.banks.keys()].sort()).toEqual(['bec', 'enfuce-rocker', 'enfuce-st1']);
      for (const [bankId, bank] of worker.banks) {
        expect(bank.options.taskQueue).toBe(`tuned-bank-${bankId}`);
        expect(slots(bank).activities).toMatchObject({ numSlots: 3 });
        // The Enfuce sandbox's published 5 requests/s (× 4 partitions); BEC publishes none: not limited.
        expect(bank.options.maxTaskQueueActivitiesPerSecond).toBe(bankId === 'bec' ? undefined : 20);
      }
      expect(worker.getState()).toBe('STOPPED');
    } finally {
      await connection.close();
    }
  });
});
