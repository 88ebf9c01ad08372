import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { request as undiciRequest, type Agent } from 'undici';
import type { Xs2aLogger } from '../logger';
import { Xs2aError, errorFromResponse } from '../errors';
import { budgetFor, type RateBudget } from '../limits/rate-budget';
import type { RequestLimiter } from '../limits/request-limiter';
import { sharedUnattendedCounter, type UnattendedAccessCounter } from '../limits/unattended-counter';
import type { BankProfile, TppCredentials } from '../profiles/types';
import { Xs2aSigner } from '../signing';
import { createBankAgent, handshakeStats, tlsAlertFor } from './agent';
import type { RequestSigner } from './worker-signer';
import { classifyTransportError } from './transport-errors';
import type { TransportStats, Xs2aRequest, Xs2aResponse, Xs2aTransport } from './types';
import { fieldPath, resolveUrl } from './url';

export interface HttpXs2aTransportOptions {
  profile: BankProfile;
  credentials: TppCredentials;
  logger: Xs2aLogger;
  /**
   * Default: an Xs2aSigner for credentials.qseal in the profile's signature style.
   * A WorkerPoolSigner takes the RSA work off the event loop (see bench/README.md).
   */
  signer?: RequestSigner;
  /** Default: the process-wide budget of this profile (budgetFor). */
  budget?: RateBudget;
  /**
   * The bank's limit shared with other processes (the fleet's), asked after `budget` for every
   * request. Default: none (the in-process budget alone).
   */
  limiter?: RequestLimiter;
  /** Default: the process-wide counter (sharedUnattendedCounter). */
  unattended?: UnattendedAccessCounter;
  /** Time allowed for the response headers, and between body chunks. Default 30 s. */
  requestTimeoutMs?: number;
  /**
   * 429s are waited out and resent while the Retry-After waits of one call add up to at most
   * this long in total (default 10 s; 0 disables resending).
   */
  maxRateLimitWaitMs?: number;
  /** How many times one call may be resent after 429s (default 3). */
  rateLimitResends?: number;
  /** Default: a new agent for credentials (createBankAgent), closed by close(). */
  agent?: Agent;
  now?: () => number;
  /** Told about every call and its outcome, e.g. to count them for /metrics. */
  observe?: (call: BankCallObservation) => void;
}

export interface BankCallObservation {
  aspsp: string;
  operation: string;
  /** HTTP status, or 0 when no response came (timeout, network, local refusal). */
  status: number;
  error?: Xs2aError;
}

/**
 * Signed mTLS calls to one bank. Every failure becomes an Xs2aError whose kind
 * says what to do next.
 *
 * Failures are not retried here: Temporal activities own retries (with their
 * backoff, attempt counts and visibility), and a hidden retry would double-spend
 * the bank's budget and frequencyPerDay behind their back. The one exception is a
 * bank's 429 with a short Retry-After: the bank asked us to wait, nothing was
 * served or counted, so this call waits and is sent again (new X-Request-ID and
 * signature). Failing instead would make every retried sync re-read from the top
 * and meet the same limit again.
 */
export class HttpXs2aTransport implements Xs2aTransport {
  private readonly profile: BankProfile;
  private readonly logger: Xs2aLogger;
  private readonly signer: RequestSigner;
  private readonly budget: RateBudget;
  private readonly limiter?: RequestLimiter;
  private readonly unattended: UnattendedAccessCounter;
  private readonly requestTimeoutMs: number;
  private readonly agent: Agent;
  private readonly ownsAgent: boolean;
  private readonly now: () => number;
  private readonly observe?: (call: BankCallObservation) => void;
  private readonly maxRateLimitWaitMs: number;
  private readonly rateLimitResends: number;
  private requests = 0;

  constructor(opts: HttpXs2aTransportOptions) {
    // Before any agent exists: a bank URL that is not https is our configuration, refused up front.
    requireHttps(opts.profile, opts.profile.baseUrl, 'baseUrl');
    if (opts.profile.oauth) {
      requireHttps(opts.profile, opts.profile.oauth.tokenUrl, 'oauth.tokenUrl');
      requireHttps(opts.profile, opts.profile.oauth.authorizeUrl, 'oauth.authorizeUrl');
    }
    this.profile = opts.profile;
    this.logger = opts.logger.child({ aspsp: opts.profile.id });
    this.signer = opts.signer ?? new Xs2aSigner(opts.credentials.qseal, opts.profile.signature);
    this.budget = opts.budget ?? budgetFor(opts.profile);
    this.limiter = opts.limiter;
    this.unattended = opts.unattended ?? sharedUnattendedCounter();
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.ownsAgent = !opts.agent;
    this.agent = opts.agent ?? createBankAgent(opts.credentials);
    this.now = opts.now ?? Date.now;
    this.observe = opts.observe;
    this.maxRateLimitWaitMs = opts.maxRateLimitWaitMs ?? 10_000;
    this.rateLimitResends = opts.rateLimitResends ?? 3;
  }

  /** Every bank call, reported to the observer (metrics) with its outcome. */
  async request<T>(req: Xs2aRequest<T>): Promise<Xs2aResponse<T>> {
    let waitedMs = 0;
    for (let resend = 0; ; resend++) {
      try {
        // A resent call was counted against frequencyPerDay when first sent; the bank's 429 served nothing.
        const response = await this.send(resend === 0 ? req : { ...req, unattended: undefined });
        this.observe?.({ aspsp: this.profile.id, operation: req.operation, status: response.status });
        return response;
      } catch (err) {
        if (err instanceof Xs2aError)
          this.observe?.({ aspsp: this.profile.id, operation: req.operation, status: err.status ?? 0, error: err });
        const waitMs =
          err instanceof Xs2aError && err.status === 429 && err.kind === 'rate_limited'
            ? (err.retryAfterMs ?? 1_000)
            : Infinity;
        const mayWait = this.maxRateLimitWaitMs > 0 && waitedMs + waitMs <= this.maxRateLimitWaitMs;
        if (resend >= this.rateLimitResends || !mayWait || req.signal?.aborted) throw err;
        this.logger.info(
          { operation: req.operation, waitMs, resend: resend + 1 },
          'bank asked us to wait (429); resending after Retry-After',
        );
        await abortableWait(waitMs, req.signal);
        waitedMs += waitMs;
      }
    }
  }

  private async send<T>(req: Xs2aRequest<T>): Promise<Xs2aResponse<T>> {
    const requestId = req.requestId ?? randomUUID();
    const context = { requestId, operation: req.operation, aspsp: this.profile.id };
    const url = resolveUrl(this.profile.baseUrl, req.path, req.query);
    if (new URL(url).protocol !== 'https:') {
      // An absolute path (a link, a token URL) that is not https: refused locally, nothing sent.
      throw new Xs2aError(`${this.profile.id} ${req.operation}: refusing to send to a URL that is not https`, {
        ...context,
        kind: 'configuration',
      });
    }

    try {
      this.countUnattendedRead(req, requestId);
      await this.budget.acquire(req.signal);
      // Last before signing: the fleet's slot is the moment the request goes, so waits above cannot bunch sends.
      await this.acquireShared(req.signal);
    } catch (err) {
      if (err instanceof Xs2aError) {
        // Refused locally, nothing was sent; the budget's own error lacks the request context.
        const error = err.requestId ? err : withContext(err, context);
        this.logger.warn(
          {
            method: req.method,
            operation: req.operation,
            requestId,
            attempt: req.attempt,
            kind: error.kind,
            retryAfterMs: error.retryAfterMs,
          },
          'xs2a request refused locally',
        );
        throw error;
      }
      throw err;
    }

    const body = serialiseBody(req);
    let headers: Record<string, string>;
    try {
      headers = await this.buildHeaders(req, requestId, body);
    } catch (err) {
      // A signer that cannot sign (key, certificate, style, dead worker) is our configuration, not the bank.
      const message = err instanceof Error ? err.message : String(err);
      this.logger.warn(
        { method: req.method, operation: req.operation, requestId, kind: 'configuration' },
        'xs2a request not signed',
      );
      throw new Xs2aError(`${this.profile.id} ${req.operation}: cannot sign the request: ${message}`, {
        ...context,
        kind: 'configuration',
        cause: err,
      });
    }

    const started = performance.now();
    const logFields = { method: req.method, operation: req.operation, requestId, attempt: req.attempt };
    this.requests += 1;
    try {
      const response = await undiciRequest(url, {
        dispatcher: this.agent,
        method: req.method,
        headers,
        body: body?.bytes,
        headersTimeout: this.requestTimeoutMs,
        bodyTimeout: this.requestTimeoutMs,
        signal: req.signal,
      });
      const raw = Buffer.from(await response.body.arrayBuffer());
      const responseHeaders = flattenHeaders(response.headers);
      const status = response.statusCode;
      const ms = Math.round(performance.now() - started);

      if (status < 200 || status >= 300) {
        const error = errorFromResponse({
          ...context,
          status,
          body: parseJsonOrUndefined(raw),
          retryAfter: responseHeaders['retry-after'],
        });
        this.logger.warn({ ...logFields, status, ms, kind: error.kind, tppCode: error.code }, 'xs2a request failed');
        throw error;
      }

      const data = this.decode(req, raw, status, context);
      this.logger.debug({ ...logFields, status, ms }, 'xs2a request');
      return { status, headers: responseHeaders, data, requestId };
    } catch (err) {
      if (err instanceof Xs2aError) {
        if (err.status === undefined || err.status < 300) {
          // Failures after a 2xx (decode) or without a response were not logged above.
          this.logger.warn(
            { ...logFields, ms: Math.round(performance.now() - started), kind: err.kind, field: err.field },
            'xs2a request failed',
          );
        }
        throw err;
      }
      // The caller's own abort (Temporal cancellation) is not a bank failure: pass it through untouched.
      if (req.signal?.aborted) throw err;
      const error = classifyTransportError(err, context, this.requestTimeoutMs, tlsAlertFor(this.agent, err));
      this.logger.warn(
        { ...logFields, ms: Math.round(performance.now() - started), kind: error.kind, cause: error.causeCode },
        'xs2a request failed',
      );
      throw error.error;
    }
  }

  stats(): TransportStats {
    return { requests: this.requests, tlsHandshakes: handshakeStats(this.agent).tlsHandshakes };
  }

  async close(): Promise<void> {
    if (this.ownsAgent) await this.agent.close();
  }

  /**
   * The shared limiter's answer. A limiter that cannot be asked (its database away) refuses like a
   * full budget, as a retryable 'rate_limited' error that says nothing was sent: a payment
   * initiation may then be resent safely, and no request bypasses the fleet's limit.
   */
  private async acquireShared(signal: AbortSignal | undefined): Promise<void> {
    if (!this.limiter) return;
    try {
      await this.limiter.acquire(signal);
    } catch (err) {
      if (err instanceof Xs2aError || signal?.aborted) throw err;
      throw new Xs2aError(
        `the shared request limiter could not be asked, nothing was sent: ${err instanceof Error ? err.message : String(err)}`,
        { kind: 'rate_limited', retryAfterMs: 1_000, cause: err },
      );
    }
  }

  /** Refuses locally, without sending, when the consent's frequencyPerDay for this endpoint is used up today. */
  private countUnattendedRead(req: Xs2aRequest<unknown>, requestId: string): void {
    if (!req.unattended || req.psuIpAddress) return;
    const { consentId, endpoint, frequencyPerDay } = req.unattended;
    const result = this.unattended.tryCount(consentId, endpoint, frequencyPerDay);
    if (result.allowed) return;
    throw new Xs2aError(
      `${this.profile.id} ${req.operation}: frequencyPerDay ${frequencyPerDay} used up today for ${endpoint}; refused locally`,
      {
        kind: 'access_exceeded',
        retryAfterMs: Math.max(0, result.resetsAt - this.now()),
        requestId,
        operation: req.operation,
        aspsp: this.profile.id,
      },
    );
  }

  private async buildHeaders(
    req: Xs2aRequest<unknown>,
    requestId: string,
    body: SerialisedBody | undefined,
  ): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      'X-Request-ID': requestId,
      Accept: 'application/json',
    };
    if (body) headers['Content-Type'] = body.contentType;
    if (req.accessToken) headers.Authorization = `Bearer ${req.accessToken}`;
    if (req.consentId) headers['Consent-ID'] = req.consentId;
    if (req.psuIpAddress) headers['PSU-IP-Address'] = req.psuIpAddress;
    Object.assign(headers, this.profile.hooks?.extraHeaders?.(req.operation) ?? {}, req.headers ?? {});
    // The request id is ours alone: a caller's header of another case must not make it two.
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === 'x-request-id' && name !== 'X-Request-ID') delete headers[name];
    }
    headers['X-Request-ID'] = requestId;

    if (req.signed !== false) {
      // The exact bytes that will be sent are the bytes digested.
      Object.assign(headers, await this.signer.sign(headers, body?.bytes));
    }
    return headers;
  }

  private decode<T>(req: Xs2aRequest<T>, raw: Buffer, status: number, context: ErrorContext): T {
    if (raw.length === 0) return undefined as T;
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (cause) {
      // The body is not quoted: it may be a token response or carry account data.
      throw new Xs2aError(
        `${context.aspsp} ${context.operation}: ${status} response body is not JSON (${raw.length} bytes)`,
        {
          ...context,
          kind: 'malformed_response',
          status,
          cause,
        },
      );
    }
    if (!req.schema) return json as T;
    const parsed = req.schema.safeParse(json);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const field = fieldPath(issue?.path ?? []);
    throw new Xs2aError(
      `${context.aspsp} ${context.operation}: response field ${field} is invalid: ${issue?.message ?? 'schema mismatch'}`,
      { ...context, kind: 'invalid_response', status, field },
    );
  }
}

interface ErrorContext {
  requestId: string;
  operation: string;
  aspsp: string;
}

interface SerialisedBody {
  bytes: Buffer;
  contentType: string;
}

/** Serialised once: these bytes are digested, signed and sent. */
function serialiseBody(req: Xs2aRequest<unknown>): SerialisedBody | undefined {
  if (req.json !== undefined) {
    return { bytes: Buffer.from(JSON.stringify(req.json), 'utf8'), contentType: 'application/json' };
  }
  if (req.form) {
    return {
      bytes: Buffer.from(new URLSearchParams(req.form).toString(), 'utf8'),
      contentType: 'application/x-www-form-urlencoded',
    };
  }
  return undefined;
}

function requireHttps(profile: BankProfile, url: string, field: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol === 'https:') return;
  throw new Xs2aError(`Bank profile ${profile.id}: ${field} must be an https URL`, {
    kind: 'configuration',
    aspsp: profile.id,
    field,
  });
}

function withContext(err: Xs2aError, context: ErrorContext): Xs2aError {
  return new Xs2aError(`${context.aspsp} ${context.operation}: ${err.message}`, {
    ...context,
    kind: err.kind,
    retryAfterMs: err.retryAfterMs,
    cause: err,
  });
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseJsonOrUndefined(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Waits ms, or until the caller aborts: then rejects with the signal's reason, as an aborted
 * request does (timers/promises would wrap it in an AbortError). No listener stays behind.
 */
async function abortableWait(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  }
}
