import { ActivityFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { WebhookDeliveryActivities, WebhookDeliveryInput, WebhookDeliveryResult } from './contract';

const { beginWebhookDelivery, abandonWebhookDelivery } = proxyActivities<WebhookDeliveryActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/**
 * Delivers one event to one endpoint: an attempt right away, then one after each wait of the
 * worker's schedule (jittered; at least the receiver's Retry-After). Attempts are activities, so a
 * worker dying mid-attempt means the attempt is made again elsewhere (same webhook-id): delivered
 * at least once, never lost. Deterministic: the jitter comes from the workflow's seeded Math.random.
 */
export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const plan = await beginWebhookDelivery(input);
  if (!plan.proceed) return { outcome: 'cancelled', attempts: 0 };

  const { attemptWebhookDelivery } = proxyActivities<WebhookDeliveryActivities>({
    startToCloseTimeout: plan.requestTimeoutMs + 15_000,
    heartbeatTimeout: plan.heartbeatTimeoutMs,
    // Only infrastructure failures (database, crashed worker) reach here: HTTP failures are results.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
  });

  const attempts = plan.retryScheduleMs.length + 1;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const last = attempt === attempts;
    const scheduled = last ? 0 : plan.retryScheduleMs[attempt - 1];
    const factor = 1 + plan.jitter * (2 * Math.random() - 1);
    const plannedDelayMs = Math.max(0, Math.round(scheduled * factor));
    let result;
    try {
      result = await attemptWebhookDelivery({ deliveryId: input.deliveryId, attempt, last, plannedDelayMs });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      await abandonWebhookDelivery({
        deliveryId: input.deliveryId,
        reason: `attempt ${attempt} could not be made: ${err.cause?.message ?? err.message}`,
      });
      return { outcome: 'failed', attempts: attempt };
    }
    if (result.outcome === 'delivered') return { outcome: 'succeeded', attempts: attempt };
    if (result.outcome === 'stopped') return { outcome: result.delivery, attempts: attempt };
    await sleep(result.retryInMs);
  }
  return { outcome: 'failed', attempts };
}
