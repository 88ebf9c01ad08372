import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import type { SQLiteUpdateSetSource } from 'drizzle-orm/sqlite-core';
import { webhookDeliveries, webhookEndpoints, webhookEvents } from '../../db/schema';
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

  const load = (deliveryId: string) => {
    const row = deps.db
      .select({ delivery: webhookDeliveries, event: webhookEvents, endpoint: webhookEndpoints })
      .from(webhookDeliveries)
      .innerJoin(webhookEvents, eq(webhookDeliveries.eventId, webhookEvents.id))
      .innerJoin(webhookEndpoints, eq(webhookDeliveries.endpointId, webhookEndpoints.id))
      .where(eq(webhookDeliveries.id, deliveryId))
      .get();
    if (!row) throw ApplicationFailure.nonRetryable(`webhook delivery ${deliveryId} does not exist`, 'NotFound');
    return row;
  };

  const update = (deliveryId: string, values: SQLiteUpdateSetSource<typeof webhookDeliveries>) =>
    deps.db
      .update(webhookDeliveries)
      .set({ ...values, updatedAt: now() })
      .where(eq(webhookDeliveries.id, deliveryId))
      .run();

  const activities = {
    async beginWebhookDelivery(input: WebhookDeliveryInput): Promise<DeliveryPlan> {
      const s = settings();
      const { delivery, endpoint } = load(input.deliveryId);
      const plan = {
        retryScheduleMs: s.retryScheduleMs,
        jitter: s.jitter,
        requestTimeoutMs: s.requestTimeoutMs,
        heartbeatTimeoutMs: s.heartbeatTimeoutMs,
      };
      if (endpoint.deletedAt !== null || endpoint.status !== 'enabled') {
        if (delivery.status === 'pending') update(delivery.id, { status: 'cancelled', nextAttemptAt: null });
        return { proceed: false, ...plan };
      }
      if (input.run > 0) {
        // A redelivery: pending again, counted once however often this activity is retried.
        deps.db
          .update(webhookDeliveries)
          .set({ status: 'pending', redeliveries: input.run, nextAttemptAt: now(), updatedAt: now() })
          .where(and(eq(webhookDeliveries.id, delivery.id)))
          .run();
      } else if (delivery.status !== 'pending') {
        return { proceed: false, ...plan };
      } else {
        update(delivery.id, { nextAttemptAt: now() });
      }
      return { proceed: true, ...plan };
    },

    async attemptWebhookDelivery(input: AttemptRequest): Promise<AttemptResult> {
      const s = settings();
      const { delivery, event, endpoint } = load(input.deliveryId);
      if (endpoint.deletedAt !== null || endpoint.status !== 'enabled') {
        update(delivery.id, {
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
      const common = {
        attempts: sql`${webhookDeliveries.attempts} + 1`,
        lastAttemptAt: at,
        lastStatusCode: null as number | null,
      };
      if (result.kind === 'delivered') {
        update(delivery.id, {
          ...common,
          lastStatusCode: result.status,
          lastError: null,
          status: 'succeeded',
          nextAttemptAt: null,
        });
        return { outcome: 'delivered', status: result.status };
      }
      if (result.kind === 'gone') {
        deps.db.transaction((tx) => {
          tx.update(webhookEndpoints)
            .set({ status: 'disabled', disabledReason: 'the endpoint answered 410 Gone', updatedAt: at })
            .where(eq(webhookEndpoints.id, endpoint.id))
            .run();
          tx.update(webhookDeliveries)
            .set({
              ...common,
              lastStatusCode: 410,
              lastError: 'answered 410 Gone: the endpoint is disabled',
              status: 'failed',
              nextAttemptAt: null,
              updatedAt: at,
            })
            .where(eq(webhookDeliveries.id, delivery.id))
            .run();
        });
        deps.logger.warn(
          { endpointId: endpoint.id, deliveryId: delivery.id },
          'webhook endpoint answered 410: disabled',
        );
        return { outcome: 'stopped', delivery: 'failed', status: 410 };
      }
      const failure = { ...common, lastStatusCode: result.status ?? null, lastError: result.error };
      if (input.last) {
        update(delivery.id, { ...failure, status: 'failed', nextAttemptAt: null });
        return { outcome: 'stopped', delivery: 'failed', status: result.status };
      }
      const retryInMs = Math.max(input.plannedDelayMs, result.retryAfterMs ?? 0);
      update(delivery.id, { ...failure, nextAttemptAt: at + retryInMs });
      return { outcome: 'retry', retryInMs, status: result.status };
    },

    async abandonWebhookDelivery(input: { deliveryId: string; reason: string }): Promise<void> {
      update(input.deliveryId, { status: 'failed', nextAttemptAt: null, lastError: input.reason });
    },
  } satisfies WebhookDeliveryActivities;
  return activities;
}
