/**
 * The webhook delivery workflow's contract: its input, id, and the activities it calls. Only ids
 * and numbers cross it: the endpoint's URL, secret and the event body stay in the database and are
 * read by the attempt activity, so no secret (and no event payload) enters workflow history.
 */

export const WEBHOOK_DELIVERY_WORKFLOW = 'webhookDeliveryWorkflow';

export interface WebhookDeliveryInput {
  deliveryId: string;
  /** 0: the delivery the dispatcher started; n: the n-th redelivery asked for through the API. */
  run: number;
}

/** One workflow per delivery (and per redelivery): a second start with the same id is refused. */
export function webhookDeliveryWorkflowId(deliveryId: string, run = 0): string {
  return run === 0 ? `webhook-delivery:${deliveryId}` : `webhook-delivery:${deliveryId}:redelivery-${run}`;
}

/** The worker's delivery settings, read once at the start (so they stay fixed for this delivery's replays). */
export interface DeliveryPlan {
  /** false: the endpoint is gone or disabled, or the delivery already ran; nothing to send. */
  proceed: boolean;
  retryScheduleMs: number[];
  jitter: number;
  requestTimeoutMs: number;
  heartbeatTimeoutMs: number;
}

export interface AttemptRequest {
  deliveryId: string;
  /** 1-based within this run. */
  attempt: number;
  /** No attempt follows: a failure makes the delivery failed. */
  last: boolean;
  /** The scheduled wait before the next attempt (jitter applied); Retry-After may lengthen it. */
  plannedDelayMs: number;
}

export type AttemptResult =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'retry'; retryInMs: number; status?: number }
  /** Failed for good (last attempt, 410 Gone) or cancelled (endpoint deleted or disabled). */
  | { outcome: 'stopped'; delivery: 'failed' | 'cancelled'; status?: number };

export interface WebhookDeliveryResult {
  outcome: 'succeeded' | 'failed' | 'cancelled';
  attempts: number;
}

/** The activities this workflow uses (implemented in activities/webhooks). */
export interface WebhookDeliveryActivities {
  beginWebhookDelivery(input: WebhookDeliveryInput): Promise<DeliveryPlan>;
  attemptWebhookDelivery(input: AttemptRequest): Promise<AttemptResult>;
  /** Marks the delivery failed when an attempt could not be made at all (e.g. its secret cannot be read). */
  abandonWebhookDelivery(input: { deliveryId: string; reason: string }): Promise<void>;
}
