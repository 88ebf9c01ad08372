import { Agent, request } from 'undici';
import { webhookHeaders } from './signer';
import { checkWebhookUrlSyntax, guardedLookup, type WebhookUrlMode } from './url-policy';

/**
 * One delivery attempt: POST the exact body bytes with the Standard Webhooks headers. 2xx is
 * success; 410 Gone tells us the endpoint is gone for good; anything else (3xx too: redirects are
 * not followed) is a failure to retry, after at least the Retry-After of a 429 or 503.
 */
export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'gone'; status: 410 }
  | { kind: 'failed'; status?: number; error: string; retryAfterMs?: number };

export interface AttemptInput {
  url: string;
  /** The event id: the webhook-id header. */
  id: string;
  body: string;
  /** Current secret first, then a rotated-out one still within its grace period. */
  secrets: readonly string[];
  mode: WebhookUrlMode;
  timeoutMs: number;
  /** Seconds since the epoch, for webhook-timestamp: the receiver's clock checks it (5 min tolerance). */
  timestampSeconds: number;
  signal?: AbortSignal;
}

/** Retry-After is honoured up to a day. */
const MAX_RETRY_AFTER_MS = 86_400_000;
const USER_AGENT = 'openbanking-aggregator-webhooks/1';

const agents = new Map<WebhookUrlMode, Agent>();
function agentFor(mode: WebhookUrlMode): Agent {
  let agent = agents.get(mode);
  if (!agent) {
    const lookup = guardedLookup(mode);
    agent = new Agent({
      connect: { timeout: 10_000, ...(lookup ? { lookup } : {}) },
      keepAliveTimeout: 10_000,
      connections: 32,
    });
    agents.set(mode, agent);
  }
  return agent;
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const trimmed = text.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** What went wrong, for the delivery's lastError: the error's code and message, never a header or secret. */
function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
    const code = (err as { code?: string }).code;
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error && cause !== err) return describe(cause);
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

export async function attemptDelivery(input: AttemptInput): Promise<AttemptOutcome> {
  try {
    checkWebhookUrlSyntax(input.url, input.mode);
  } catch (err) {
    return { kind: 'failed', error: `url refused: ${(err as Error).message}` };
  }
  const timeout = AbortSignal.timeout(input.timeoutMs);
  const signal = input.signal ? AbortSignal.any([timeout, input.signal]) : timeout;
  try {
    const res = await request(input.url, {
      method: 'POST',
      dispatcher: agentFor(input.mode),
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...webhookHeaders(input.secrets, input.id, input.timestampSeconds, input.body),
      },
      body: input.body,
      signal,
      headersTimeout: input.timeoutMs,
      bodyTimeout: input.timeoutMs,
    });
    // The body does not matter: drop it (up to a limit) so the connection can be reused.
    await res.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
    const status = res.statusCode;
    if (status >= 200 && status < 300) return { kind: 'delivered', status };
    if (status === 410) return { kind: 'gone', status };
    const retryAfterMs =
      status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after'], Date.now()) : undefined;
    const error =
      status >= 300 && status < 400 ? `answered ${status} (redirects are not followed)` : `answered ${status}`;
    return { kind: 'failed', status, error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  } catch (err) {
    return { kind: 'failed', error: describe(err) };
  }
}
