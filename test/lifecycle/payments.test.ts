import type { ChildProcess } from 'node:child_process';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initiationOutcome } from '../../activities/payments';
import { payments } from '../../db/schema';
import { ibanFromBban } from '../../sandbox/data/iban';
import { createPayment, PaymentUpstreamError, type CreatePaymentInput } from '../../services/payments';
import { Xs2aError } from '../../xs2a/errors';
import { paymentWorkflowId, type PaymentStatus } from '../../workflows/payment/contract';
import { startChildWorker } from '../helpers/child-worker';
import { FAST_PAYMENT_TIMING, startStack, type Stack } from '../helpers/stack';
import { historyText, waitFor } from './helpers';

const METTE = 'DK8004004012345678';
const CREDITOR = ibanFromBban('DK', '30003330000001');

function input(extra: Partial<CreatePaymentInput> = {}): CreatePaymentInput {
  return {
    customerId: 'c-pay',
    aspspId: 'bec',
    product: 'cross-border-credit-transfers',
    debtorAccount: { iban: METTE },
    creditorAccount: { iban: CREDITOR },
    creditorName: 'Vognmand Jensen ApS',
    instructedAmount: { currency: 'DKK', amount: '42.00' },
    redirectUrl: 'https://p.example/paid',
    psuIpAddress: '192.0.2.7',
    ...extra,
  };
}

const row = (stack: Stack, id: string) => stack.database.db.select().from(payments).where(eq(payments.id, id)).get()!;

const waitForRow = (stack: Stack, id: string, status: PaymentStatus, timeoutMs?: number) =>
  waitFor(
    `payment ${id} to be ${status}`,
    () => (row(stack, id).status === status ? row(stack, id) : undefined),
    timeoutMs,
  );

const initiations = (stack: Stack) =>
  stack.sandbox.requestLog('bec').filter((e) => e.method === 'POST' && /\/v1\/payments\/[a-z-]+$/.test(e.path));

describe('payment workflow durability', () => {
  let stack: Stack;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await stack?.stop();
  });

  it('a worker killed while the payment is being followed: another worker finishes it, no second initiation', async () => {
    await stack.stopWorker();
    child = await startChildWorker(stack, 'payment-worker', { paymentTiming: FAST_PAYMENT_TIMING });
    const before = initiations(stack).length;
    const created = await createPayment(stack.deps, input());
    const back = await stack.psu(created.authorisationUrl, 'approve', 'bec-psu-1');
    expect(back).toMatchObject({ subjectType: 'payment', subjectId: created.id, outcome: 'approved' });
    await waitForRow(stack, created.id, 'pending');
    const statusReads = () => stack.sandbox.requestLog('bec').filter((e) => e.path.endsWith('/status')).length;
    const readsBefore = statusReads();
    await waitFor('a few status reads', () => (statusReads() >= readsBefore + 2 ? true : undefined));

    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;
    stack.sandbox.clock.advance(2 * 3_600_000 + 1_000);
    await stack.startWorker();

    // The dead worker's sticky queue and any read it had in flight time out first (seconds).
    const done = await waitForRow(stack, created.id, 'completed', 45_000);
    expect(done.bankStatus).toBe('ACSC');
    expect(initiations(stack).length).toBe(before + 1);
    // The X-Request-ID stored before sending is the one the bank received.
    expect(initiations(stack).at(-1)!.headers['x-request-id']).toBe(row(stack, created.id).initiationRequestId);
    const history = await historyText(stack, paymentWorkflowId(created.id));
    expect(history.match(/"initiatePayment"/g)).toHaveLength(1);
    // No IBAN, name or amount in the workflow's history (search attributes included), nor the SCA state.
    expect(history).not.toContain(METTE);
    expect(history).not.toContain('Vognmand');
    expect(history).not.toContain('42.00');
    const state = new URL(String(initiations(stack).at(-1)!.headers['tpp-redirect-uri'])).searchParams.get('state')!;
    expect(history).not.toContain(state);
  }, 60_000);

  it('an initiation whose answer is lost is never re-sent: the payment is unknown, with the reason', async () => {
    const before = initiations(stack).length;
    stack.sandbox.setFaults('bec', { dropRate: 1 });
    let error: unknown;
    try {
      await createPayment(stack.deps, input({ product: 'sepa-credit-transfers' }));
    } catch (err) {
      error = err;
    } finally {
      stack.sandbox.setFaults('bec', { dropRate: 0 });
    }
    expect(error).toBeInstanceOf(PaymentUpstreamError);
    const id = /payment (pay_[^ ]+) is unknown/.exec((error as Error).message)![1];
    const stored = row(stack, id);
    expect(stored).toMatchObject({ status: 'unknown', initiationState: 'lost', bankPaymentId: null });
    expect(stored.statusReason).toMatch(/answer was lost/);
    expect(stored.statusReason).toContain(stored.initiationRequestId!);
    // Only the one request went out (the bank may not even have logged a dropped one).
    expect(initiations(stack).length - before).toBeLessThanOrEqual(1);
  });

  it('an initiation answered 503 is resent as that very request: the same X-Request-ID, one payment', async () => {
    const before = initiations(stack).length;
    stack.sandbox.setFaults('bec', { errorRate: 1, errorStatus: 503 });
    const creating = createPayment(stack.deps, input({ product: 'sepa-credit-transfers' }));
    try {
      await waitFor('a 503 to the initiation', () =>
        initiations(stack)
          .slice(before)
          .some((e) => e.status === 503)
          ? true
          : undefined,
      );
    } finally {
      stack.sandbox.setFaults('bec', { errorRate: 0 });
    }
    const created = await creating;
    expect(created.status).toBe('awaiting_authorisation');
    const sent = initiations(stack).slice(before);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.at(-1)!.status).toBe(201);
    expect(new Set(sent.map((e) => e.headers['x-request-id'])).size).toBe(1);
    expect(sent[0].headers['x-request-id']).toBe(row(stack, created.id).initiationRequestId);
  });

  it('tells a certain non-delivery (resend the same request) from a lost answer', () => {
    const err = (status: number | undefined, kind: Xs2aError['kind'], cause?: unknown) =>
      new Xs2aError('x', { status, kind, cause });
    expect(initiationOutcome(err(503, 'server'))).toBe('resend');
    expect(initiationOutcome(err(429, 'rate_limited'))).toBe('resend');
    expect(initiationOutcome(err(undefined, 'network', { code: 'ECONNREFUSED' }))).toBe('resend');
    expect(initiationOutcome(err(undefined, 'timeout', { code: 'UND_ERR_CONNECT_TIMEOUT' }))).toBe('resend');
    expect(initiationOutcome(err(400, 'bad_request'))).toBe('refused');
    expect(initiationOutcome(err(undefined, 'timeout', { code: 'UND_ERR_HEADERS_TIMEOUT' }))).toBe('lost');
    expect(initiationOutcome(err(undefined, 'network', { code: 'UND_ERR_SOCKET' }))).toBe('lost');
    expect(initiationOutcome(err(500, 'server'))).toBe('lost');
    expect(initiationOutcome(err(201, 'malformed_response'))).toBe('lost');
  });
});
