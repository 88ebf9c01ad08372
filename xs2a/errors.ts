/**
 * Berlin Group error responses as typed errors. Every failure a bank call can
 * produce becomes an Xs2aError whose `kind` tells the caller what to do next;
 * codes we have never seen are kept as they are and classified by HTTP status.
 */

export interface TppMessage {
  category: 'ERROR' | 'WARNING' | (string & {});
  code: string;
  path?: string;
  text?: string;
}

export type Xs2aErrorKind =
  | 'rate_limited' //          429 other than ACCESS_EXCEEDED: retry after Retry-After
  | 'access_exceeded' //       429 ACCESS_EXCEEDED: frequencyPerDay used up; wait for the next day
  | 'server' //                5xx: retry
  | 'timeout' //               connect or request timeout: retry
  | 'network' //               connection reset, refused, TLS dropped: retry
  | 'malformed_response' //    body is not JSON: retry a few times (bank glitch)
  | 'invalid_response' //      JSON that breaks the schema: permanent, names the field
  | 'token_invalid' //         401 TOKEN_EXPIRED / TOKEN_INVALID: refresh, then retry
  | 'grant_invalid' //         OAuth invalid_grant (refresh or code refused): PSU must re-authorise
  | 'consent_invalid' //       CONSENT_INVALID, CONSENT_UNKNOWN: re-authorise (or revoked by PSU)
  | 'consent_expired' //       CONSENT_EXPIRED
  | 'signature' //             SIGNATURE_INVALID, SIGNATURE_MISSING, ...: our bug or config, permanent
  | 'certificate' //           CERTIFICATE_*: our certificate, permanent
  | 'bad_request' //           other 4xx: permanent
  | 'configuration'; //        our side: missing credentials, bad profile, bad certificate files

const RETRYABLE: ReadonlySet<Xs2aErrorKind> = new Set([
  'rate_limited',
  'server',
  'timeout',
  'network',
  'malformed_response',
]);

export interface Xs2aErrorDetails {
  kind: Xs2aErrorKind;
  status?: number;
  tppMessages?: TppMessage[];
  retryAfterMs?: number;
  requestId?: string;
  /** e.g. "GET /v1/accounts" — never a URL with query secrets. */
  operation?: string;
  aspsp?: string;
  /** For invalid_response: the JSON path of the first bad field. */
  field?: string;
  cause?: unknown;
}

export class Xs2aError extends Error {
  readonly kind: Xs2aErrorKind;
  readonly status?: number;
  readonly tppMessages: TppMessage[];
  readonly retryAfterMs?: number;
  readonly requestId?: string;
  readonly operation?: string;
  readonly aspsp?: string;
  readonly field?: string;

  constructor(message: string, details: Xs2aErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'Xs2aError';
    this.kind = details.kind;
    this.status = details.status;
    this.tppMessages = details.tppMessages ?? [];
    this.retryAfterMs = details.retryAfterMs;
    this.requestId = details.requestId;
    this.operation = details.operation;
    this.aspsp = details.aspsp;
    this.field = details.field;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }

  /** The first ERROR code the bank gave, if any. */
  get code(): string | undefined {
    return (this.tppMessages.find((m) => m.category === 'ERROR') ?? this.tppMessages[0])?.code;
  }

  get codes(): string[] {
    return this.tppMessages.map((m) => m.code);
  }

  toJSON() {
    return {
      name: this.name,
      message: this.message,
      kind: this.kind,
      status: this.status,
      code: this.code,
      tppMessages: this.tppMessages,
      retryAfterMs: this.retryAfterMs,
      requestId: this.requestId,
      operation: this.operation,
      aspsp: this.aspsp,
      field: this.field,
    };
  }
}

/** Classifies a Berlin Group code (or none) with its HTTP status. Unknown codes fall back to the status. */
export function classify(status: number, codes: readonly string[]): Xs2aErrorKind {
  const has = (c: string) => codes.includes(c);
  const hasPrefix = (p: string) => codes.some((c) => c.startsWith(p));
  if (status === 429) return has('ACCESS_EXCEEDED') ? 'access_exceeded' : 'rate_limited';
  if (has('TOKEN_EXPIRED') || has('TOKEN_INVALID') || has('TOKEN_UNKNOWN')) return 'token_invalid';
  if (has('invalid_grant')) return 'grant_invalid';
  if (has('CONSENT_EXPIRED')) return 'consent_expired';
  if (has('CONSENT_INVALID') || has('CONSENT_UNKNOWN')) return 'consent_invalid';
  if (hasPrefix('SIGNATURE_')) return 'signature';
  if (hasPrefix('CERTIFICATE_')) return 'certificate';
  if (status >= 500) return 'server';
  if (status === 401 && codes.length === 0) return 'token_invalid';
  return 'bad_request';
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Reads tppMessages from a Berlin Group error body. Accepts the 1.3.x shape
 * ({ tppMessages: [...] }), the RFC 7807 shape of later versions
 * ({ code, detail, additionalErrors }) and OAuth's ({ error, error_description }).
 */
export function parseTppMessages(body: unknown): TppMessage[] {
  if (!body || typeof body !== 'object') return [];
  const b = body as Record<string, unknown>;
  const out: TppMessage[] = [];
  if (Array.isArray(b.tppMessages)) {
    for (const m of b.tppMessages) {
      if (m && typeof m === 'object' && typeof (m as TppMessage).code === 'string') {
        const msg = m as TppMessage;
        out.push({ category: String(msg.category ?? 'ERROR'), code: msg.code, path: msg.path, text: msg.text });
      }
    }
  }
  if (typeof b.code === 'string')
    out.push({ category: 'ERROR', code: b.code, text: typeof b.detail === 'string' ? b.detail : undefined });
  if (Array.isArray(b.additionalErrors)) {
    for (const m of b.additionalErrors) {
      if (m && typeof m === 'object' && typeof (m as { code?: unknown }).code === 'string') {
        const e = m as { code: string; detail?: string };
        out.push({ category: 'ERROR', code: e.code, text: e.detail });
      }
    }
  }
  if (typeof b.error === 'string') {
    out.push({
      category: 'ERROR',
      code: b.error,
      text: typeof b.error_description === 'string' ? b.error_description : undefined,
    });
  }
  return out;
}

export interface ErrorResponseContext {
  status: number;
  body: unknown;
  retryAfter?: string | null;
  requestId?: string;
  operation?: string;
  aspsp?: string;
}

/** Builds the typed error for a non-2xx response. The message carries codes and texts, never headers or tokens. */
export function errorFromResponse(ctx: ErrorResponseContext): Xs2aError {
  const tppMessages = parseTppMessages(ctx.body);
  const kind = classify(
    ctx.status,
    tppMessages.map((m) => m.code),
  );
  const summary = tppMessages.length
    ? tppMessages.map((m) => (m.text ? `${m.code} (${m.text})` : m.code)).join('; ')
    : `HTTP ${ctx.status} without tppMessages`;
  const where = [ctx.aspsp, ctx.operation].filter(Boolean).join(' ');
  return new Xs2aError(`${where ? `${where}: ` : ''}${ctx.status} ${summary}`, {
    kind,
    status: ctx.status,
    tppMessages,
    retryAfterMs: parseRetryAfter(ctx.retryAfter),
    requestId: ctx.requestId,
    operation: ctx.operation,
    aspsp: ctx.aspsp,
  });
}

/** The Berlin Group error body a bank (our sandbox) answers with. */
export function tppErrorBody(code: string, text: string, category: 'ERROR' | 'WARNING' = 'ERROR', path?: string) {
  return { tppMessages: [{ category, code, text, ...(path ? { path } : {}) }] };
}
