import { createHash } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Logger } from '../logging/logger';
import type { WebhookOutboxRepository } from '../repositories';
import {
  WEBHOOK_DELIVERY_WORKFLOW,
  webhookDeliveryWorkflowId,
  type WebhookDeliveryInput,
} from '../workflows/webhook-delivery/contract';

/** One delivery per event and endpoint: its id (and so its workflow's) follows from both. */
export function webhookDeliveryId(eventId: string, endpointId: string): string {
  return `dlv_${createHash('sha256').update(`${eventId}\n${endpointId}`).digest('base64url').slice(0, 26)}`;
}

/**
 * Starts a delivery workflow. A workflow with this id that exists or existed (within the namespace's
 * retention) is never started again: returns false then.
 */
export async function startWebhookDelivery(
  client: Client,
  taskQueue: string,
  deliveryId: string,
  run = 0,
): Promise<boolean> {
  const args: [WebhookDeliveryInput] = [{ deliveryId, run }];
  try {
    await client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW, {
      workflowId: webhookDeliveryWorkflowId(deliveryId, run),
      taskQueue,
      args,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}

export interface WebhookDispatcherDeps {
  /** The outbox (repositories.webhooks), on either backend. */
  webhooks: WebhookOutboxRepository;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  /** How often the outbox is read. Default 1 s. */
  pollIntervalMs?: number;
  /** Events handled per read. Default 100. */
  batchSize?: number;
  now?: () => number;
}

/**
 * Turns outbox rows into delivery workflows: per undispatched event, a delivery row for each
 * enabled endpoint subscribed to its type and customer, a workflow per delivery, then the event is
 * marked dispatched. Every step is idempotent (unique delivery per event and endpoint, workflow ids
 * refused twice), so a dispatcher that dies half-way, or two dispatchers at once, start each
 * delivery once. Runs in the worker process.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly deps: WebhookDispatcherDeps) {}

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.schedule(0);
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Reads the outbox now instead of at the next tick (e.g. in tests). */
  async poke(): Promise<number> {
    await this.running;
    return this.dispatchPending();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.dispatchPending()
        .then((n) => this.schedule(n === (this.deps.batchSize ?? 100) ? 0 : (this.deps.pollIntervalMs ?? 1_000)))
        .catch((err) => {
          this.deps.logger.error({ err }, 'webhook dispatcher failed; retrying');
          this.schedule(5_000);
        });
    }, delayMs);
  }

  /** One pass over the outbox; returns the number of events handled. */
  async dispatchPending(): Promise<number> {
    const { webhooks } = this.deps;
    const now = this.deps.now ?? Date.now;
    const events = await webhooks.undispatchedEvents(this.deps.batchSize ?? 100);
    if (events.length === 0) return 0;
    const endpoints = await webhooks.activeEndpoints();
    for (const event of events) {
      const targets = endpoints.filter(
        (e) =>
          (e.events === null || e.events.includes(event.type)) &&
          (e.customerIds === null || e.customerIds.includes(event.customerId)),
      );
      const deliveryIds = targets.map((t) => webhookDeliveryId(event.id, t.id));
      await webhooks.createDeliveries(
        targets.map((t, i) => ({ id: deliveryIds[i], eventId: event.id, endpointId: t.id })),
      );
      for (const id of deliveryIds) await startWebhookDelivery(this.deps.temporal, this.deps.taskQueue, id);
      await webhooks.markDispatched(event.id, now());
      if (targets.length)
        this.deps.logger.debug(
          { eventId: event.id, type: event.type, deliveries: targets.length },
          'webhook dispatched',
        );
    }
    return events.length;
  }
}

/** Starts a dispatcher; stop() it before closing the database or the Temporal client. */
export function startWebhookDispatcher(deps: WebhookDispatcherDeps): WebhookDispatcher {
  return new WebhookDispatcher(deps).start();
}
