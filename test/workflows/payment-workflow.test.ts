import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PaymentActivities } from '../../activities/payments';
import { forwardTemporalLogs } from '../../logging/temporal-runtime';
import { bankTaskQueue } from '../../temporal/bank-task-queues';
import { SEARCH_ATTRIBUTE_KEYS } from '../../temporal/search-attributes';
import { resolveTemporalTestServer } from '../../temporal/test-server';
import {
  DEFAULT_PAYMENT_TIMING,
  PaymentFailure,
  pollDelay,
  paymentWorkflowId,
  type PaymentStatus,
  type PaymentTiming,
} from '../../workflows/payment/contract';
import {
  cancelPaymentUpdate,
  paymentAuthorisationUrlUpdate,
  paymentPsuCallbackSignal,
  paymentStatusQuery,
} from '../../workflows/payment/messages';
import { paymentWorkflow } from '../../workflows/payment/workflow';
import { testLogger } from '../helpers/logger';

/**
 * The payment workflow's own branches with stubbed activities on Temporal's time-skipping test
 * server and the real default timing: the 6-day `unknown` limit, the 15-minute authorisation
 * timeout with a PSU who approved at the bank but never came back, initiation failures, a refused
 * cancellation. End-to-end behaviour against the sandbox is in test/api/payments.test.ts.
 */

const TIMING: PaymentTiming = DEFAULT_PAYMENT_TIMING;
const DAY = 86_400_000;

interface Script {
  initiate?: () => Promise<{ bankStatus: string; authorisationId: string; authorisationUrl: string }>;
  statuses?: string[];
  cancel?: () => Promise<{ bankStatus: string | undefined }>;
}

const scripts = new Map<string, Script>();
const recorded = new Map<string, { status: PaymentStatus; bankStatus?: string; reason?: string }[]>();
const reads = new Map<string, number[]>();

const stub: PaymentActivities = {
  paymentTiming: () => Promise.resolve(TIMING),
  initiatePayment: ({ paymentId }) =>
    scripts.get(paymentId)?.initiate?.() ??
    Promise.resolve({ bankStatus: 'RCVD', authorisationId: `auth-${paymentId}`, authorisationUrl: 'https://bank/sca' }),
  readPaymentStatus: ({ paymentId }) => {
    const times = reads.get(paymentId) ?? [];
    // The server's (skipped) clock.
    times.push(Context.current().info.currentAttemptScheduledTimestampMs);
    reads.set(paymentId, times);
    const statuses = scripts.get(paymentId)?.statuses ?? ['ACSC'];
    return Promise.resolve({ bankStatus: statuses[Math.min(times.length - 1, statuses.length - 1)] });
  },
  cancelPaymentAtBank: ({ paymentId }) => scripts.get(paymentId)?.cancel?.() ?? Promise.resolve({ bankStatus: 'CANC' }),
  recordPaymentStatus: (input) => {
    recorded.set(input.paymentId, [...(recorded.get(input.paymentId) ?? []), input]);
    return Promise.resolve();
  },
  closePaymentAuthorisation: () => Promise.resolve(),
};

describe('payment workflow branches (stubbed activities, time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let bankWorker: Worker;
  let running: Promise<unknown>;
  let client: Client;
  const taskQueue = `payment-wf-${randomUUID()}`;

  beforeAll(async () => {
    forwardTemporalLogs(testLogger());
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { executable: { type: 'existing-path', path: resolveTemporalTestServer() } },
    });
    // The workflow upserts PaymentStatus: the test server, like a real namespace, must know it.
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(
        SEARCH_ATTRIBUTE_KEYS.map((key) => [
          key.name,
          temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        ]),
      ),
    });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: stub,
    });
    // Initiation, status reads and cancellation run on the bank's own task queue (patch bank-task-queues).
    bankWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: bankTaskQueue(taskQueue, 'bec'),
      activities: stub,
    });
    running = Promise.all([worker.run(), bankWorker.run()]);
    client = env.client;
  });
  afterAll(async () => {
    worker?.shutdown();
    bankWorker?.shutdown();
    await running;
    await env?.teardown();
  });

  function start(id: string, script: Script = {}) {
    scripts.set(id, script);
    return client.workflow.start(paymentWorkflow, {
      taskQueue,
      workflowId: paymentWorkflowId(id),
      args: [{ paymentId: id, customerId: 'c', aspspId: 'bec', product: 'sepa-credit-transfers' }],
    });
  }

  it('no final status within six days: unknown, after reads decaying from seconds to minutes to hours', async () => {
    const id = `p-${randomUUID()}`;
    const handle = await start(id, { statuses: ['ACTC', 'ACSP'] });
    await handle.executeUpdate(paymentAuthorisationUrlUpdate);
    await handle.signal(paymentPsuCallbackSignal, { authorisationId: `auth-${id}`, outcome: 'approved' });
    const result = await handle.result();
    expect(result.status).toBe('unknown');
    expect(result.bankStatus).toBe('ACSP');
    expect(result.statusReason).toMatch(/no final status/);
    const times = reads.get(id)!;
    // Seconds at first, then minutes, then hours; six days later the payment is unknown.
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    expect(gaps[0]).toBeLessThan(10_000);
    expect(gaps.some((g) => g >= 60_000 && g < 3_600_000)).toBe(true);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(3_600_000);
    expect(times.at(-1)! - times[0]).toBeGreaterThan(5.5 * DAY);
    expect(times.length).toBeLessThan(60);
    expect(recorded.get(id)!.map((r) => `${r.status}/${r.bankStatus}`)).toEqual([
      'awaiting_authorisation/RCVD',
      'authorised/RCVD',
      'authorised/ACTC',
      'pending/ACSP',
      'unknown/ACSP',
    ]);
  });

  it('the backoff decays from seconds to minutes to hours (default timing)', () => {
    const delays = Array.from({ length: 16 }, (_, n) => pollDelay(DEFAULT_PAYMENT_TIMING, n));
    expect(delays[0]).toBe(2_000);
    expect(delays.slice(1).every((d, i) => d >= delays[i])).toBe(true);
    expect(delays.find((d) => d >= 60_000 && d < 3_600_000)).toBeDefined();
    expect(delays.at(-1)).toBe(4 * 3_600_000);
    // Six days of polling is a few dozen reads, not thousands.
    let at = 0;
    let n = 0;
    while (at < DEFAULT_PAYMENT_TIMING.unknownAfterMs) at += pollDelay(DEFAULT_PAYMENT_TIMING, n++);
    expect(n).toBeLessThan(60);
  });

  it('the PSU approved at the bank but never came back: the deletion is refused, the payment is followed to ACSC', async () => {
    const id = `p-${randomUUID()}`;
    const handle = await start(id, {
      statuses: ['ACTC', 'ACSC'],
      cancel: () =>
        Promise.reject(
          ApplicationFailure.create({
            type: PaymentFailure.cancellationRefused,
            message: 'the bank refused the cancellation (405 CANCELLATION_INVALID)',
            nonRetryable: true,
          }),
        ),
    });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', bankStatus: 'ACSC' });
    expect(result.lastError).toMatch(/CANCELLATION_INVALID/);
  });

  it('an initiation whose answer was lost ends unknown; one the bank refused ends failed; the create sees both', async () => {
    const lost = `p-${randomUUID()}`;
    const lostHandle = await start(lost, {
      initiate: () =>
        Promise.reject(
          ApplicationFailure.create({
            type: PaymentFailure.initiationUnknown,
            message: 'the answer was lost',
            nonRetryable: true,
          }),
        ),
    });
    expect(await lostHandle.executeUpdate(paymentAuthorisationUrlUpdate)).toMatchObject({
      authorisationUrl: '',
      status: 'unknown',
    });
    expect((await lostHandle.result()).statusReason).toBe('the answer was lost');

    const refused = `p-${randomUUID()}`;
    const refusedHandle = await start(refused, {
      initiate: () =>
        Promise.reject(
          ApplicationFailure.create({ type: 'Xs2a.bad_request', message: '400 FORMAT_ERROR', nonRetryable: true }),
        ),
    });
    const result = await refusedHandle.result();
    expect(result).toMatchObject({ status: 'failed', lastError: '400 FORMAT_ERROR' });
  });

  it('a cancellation after approval is refused with the reason; before approval it cancels', async () => {
    const id = `p-${randomUUID()}`;
    const handle = await start(id, { statuses: ['ACSP'] });
    await handle.executeUpdate(paymentAuthorisationUrlUpdate);
    await handle.signal(paymentPsuCallbackSignal, { authorisationId: `auth-${id}`, outcome: 'approved' });
    for (let i = 0; i < 50 && (await handle.query(paymentStatusQuery)).status === 'awaiting_authorisation'; i++)
      await new Promise((r) => setTimeout(r, 20));
    const refused = await handle.executeUpdate(cancelPaymentUpdate).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refused as WorkflowUpdateFailedError).cause).toMatchObject({
      type: PaymentFailure.invalidState,
      message: expect.stringMatching(/approved/),
    });
    await handle.terminate('test done');

    const open = `p-${randomUUID()}`;
    const openHandle = await start(open);
    await openHandle.executeUpdate(paymentAuthorisationUrlUpdate);
    expect(await openHandle.executeUpdate(cancelPaymentUpdate)).toEqual({ status: 'cancelled', bankStatus: 'CANC' });
    expect((await openHandle.result()).status).toBe('cancelled');
  });
});
