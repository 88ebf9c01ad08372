import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { DeliveryUpdate } from '../../repositories';
import { attemptDelivery } from '../../webhooks/deliver';
import { endpointSecrets } from '../../webhooks/secrets';
import { DEFAULT_WEBHOOK_SETTINGS, type WebhookSettings } from '../../webhooks/settings';
import type {
  AttemptRequest,
  AttemptResult,
  DeliveryPlan,
  WebhookDeliveryActivities,
  WebhookDeliveryInput,
} from '../../workflows/webhook-delivery/contract';
import type { ActivityDeps } from '../deps';

const HEARTBEAT_EVERY_MS = 1_000;

/**
 * The delivery workflow's activities. The attempt reads the endpoint, decrypts its secret(s), signs
 * and sends here, inside the activity: neither the secret nor the body goes through history.
 * Timestamps on the delivery row use the real clock (the webhook-timestamp must match the receiver's).
 */
export function createWebhookActivities(deps: ActivityDeps) {
  // Read on each call (not captured): the worker's settings, else production's (https only, public addresses).
  const settings = (): WebhookSettings => deps.webhooks ?? DEFAULT_WEBHOOK_SETTINGS;
  const now = () => Date.now();

  const webhooks = deps.repositories.webhooks;
  const load = async (deliveryId: string) => {
    const row = await webhooks.loadDelivery(deliveryId);
    if (!row) throw ApplicationFailure.nonRetryable(`webhook delivery ${deliveryId} does not exist`, 'NotFound');
    return row;
  };

  const update = (deliveryId: string, values: DeliveryUpdate) => webhooks.updateDelivery(deliveryId, values, now());

  const activities = {
    async beginWebhookDelivery(input: WebhookDeliveryInput): Promise<DeliveryPlan> {
      const s = settings();
      const { delivery, endpoint } = await load(input.deliveryId);
      const plan = {
        retryScheduleMs: s.retryScheduleMs,
        jitter: s.jitter,
        requestTimeoutMs: s.requestTimeoutMs,
        heartbeatTimeoutMs: s.heartbeatTimeoutMs,
      };
      if (endpoint.deletedAt !== null || endpoint.status !== 'enabled') {
        if (delivery.status === 'pending') await update(delivery.id, { status: 'cancelled', nextAttemptAt: null });
        return { proceed: false, ...plan };
      }
      if (input.run > 0) {
        // A redelivery: pending again, counted once however often this activity is retried.
        await update(delivery.id, { status: 'pending', redeliveries: input.run, nextAttemptAt: now() });
      } else if (delivery.status !== 'pending') {
        return { proceed: false, ...plan };
      } else {
        await update(delivery.id, { nextAttemptAt: now() });
      }
      return { proceed: true, ...plan };
    },

    async attemptWebhookDelivery(input: AttemptRequest): Promise<AttemptResult> {
      const s = settings();
      const { delivery, event, endpoint } = await load(input.deliveryId);
      if (endpoint.deletedAt !== null || endpoint.status !== 'enabled') {
        await update(delivery.id, {
          status: 'cancelled',
          nextAttemptAt: null,
          lastError: endpoint.deletedAt !== null ? 'endpoint deleted' : 'endpoint disabled',
        });
        return { outcome: 'stopped', delivery: 'cancelled' };
      }
      const secrets = endpointSecrets(deps, endpoint, now());
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      let result;
      try {
        result = await attemptDelivery({
          url: endpoint.url,
          id: event.id,
          body: event.payload,
          secrets,
          mode: s.mode,
          timeoutMs: s.requestTimeoutMs,
          timestampSeconds: Math.floor(now() / 1000),
          signal: ctx.cancellationSignal,
        });
      } finally {
        clearInterval(beat);
      }
      const at = now();
      // Counted in SQL: an attempt of a presumed-dead worker that still finishes is counted too, not lost.
      const common = { countAttempt: true, lastAttemptAt: at, lastStatusCode: null as number | null };
      if (result.kind === 'delivered') {
        await update(delivery.id, {
          ...common,
          lastStatusCode: result.status,
          lastError: null,
          status: 'succeeded',
          nextAttemptAt: null,
        });
        return { outcome: 'delivered', status: result.status };
      }
      if (result.kind === 'gone') {
        await webhooks.disableEndpointGone(
          endpoint.id,
          delivery.id,
          {
            ...common,
            lastStatusCode: 410,
            lastError: 'answered 410 Gone: the endpoint is disabled',
            status: 'failed',
            nextAttemptAt: null,
          },
          at,
        );
        deps.logger.warn(
          { endpointId: endpoint.id, deliveryId: delivery.id },
          'webhook endpoint answered 410: disabled',
        );
        return { outcome: 'stopped', delivery: 'failed', status: 410 };
      }
      const failure = { ...common, lastStatusCode: result.status ?? null, lastError: result.error };
      if (input.last) {
        await update(delivery.id, { ...failure, status: 'failed', nextAttemptAt: null });
        return { outcome: 'stopped', delivery: 'failed', status: result.status };
      }
      const retryInMs = Math.max(input.plannedDelayMs, result.retryAfterMs ?? 0);
      await update(delivery.id, { ...failure, nextAttemptAt: at + retryInMs });
      return { outcome: 'retry', retryInMs, status: result.status };
    },

    async abandonWebhookDelivery(input: { deliveryId: string; reason: string }): Promise<void> {
      await update(input.deliveryId, { status: 'failed', nextAttemptAt: null, lastError: input.reason });
    },
  } satisfies WebhookDeliveryActivities;
  return activities;
}
