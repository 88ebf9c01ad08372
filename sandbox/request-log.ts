import type { VerificationIssue } from '../xs2a/signing/types';

export interface RequestLogEntry {
  seq: number;
  time: string;
  bank: string;
  method: string;
  path: string;
  /** Query parameters; the same OAuth secrets as in the body redacted. */
  query: Record<string, string | string[]>;
  /** Every header received; credentials (Authorization, X-API-Key) redacted. */
  headers: Record<string, string | string[] | undefined>;
  /** Body as text, at most 4 KB; OAuth secrets (codes, verifiers, refresh tokens) redacted. */
  body?: string;
  verification?: {
    ok: boolean;
    errors: VerificationIssue[];
    warnings: VerificationIssue[];
    /** How the keyId's CA was written: raw DN (BEC) or URL-encoded (Enfuce). */
    keyIdCaEncoding?: 'raw' | 'url';
  };
  status?: number;
  errorCode?: string;
  durationMs?: number;
}

export const LOG_BODY_LIMIT = 4096;
const MAX_ENTRIES = 5000;
const SECRET_HEADERS = new Set(['authorization', 'x-api-key', 'cookie']);
const SECRET_FORM_FIELDS = ['code', 'code_verifier', 'refresh_token', 'client_secret', 'access_token'];

export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!SECRET_HEADERS.has(k.toLowerCase())) out[k] = v;
    else if (typeof v === 'string' && /^bearer\s/i.test(v)) out[k] = 'Bearer [redacted]';
    else out[k] = '[redacted]';
  }
  return out;
}

/** The shape of an application/x-www-form-urlencoded body: nothing a JSON or binary body could pass for. */
const FORM_SHAPED = /^[A-Za-z0-9._~%+*=&-]*$/;

function isSecretField(name: string): boolean {
  return SECRET_FORM_FIELDS.includes(name);
}

/** Secret fields of a form, wherever the text came from (a body of any content type, a query). */
function redactForm(text: string): string {
  const form = new URLSearchParams(text);
  for (const field of SECRET_FORM_FIELDS) if (form.has(field)) form.set(field, '[redacted]');
  return form.toString();
}

/** Secret fields at any depth of a JSON value. */
function redactJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactJson);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, isSecretField(k) ? '[redacted]' : redactJson(v)]),
  );
}

function hasSecretKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasSecretKey);
  if (!value || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => isSecretField(k) || hasSecretKey(v));
}

/** A body that is not declared a form: JSON with its secret keys redacted, other text by pattern; otherwise as sent. */
function redactUntyped(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return redactText(text);
  }
  return hasSecretKey(parsed) ? JSON.stringify(redactJson(parsed)) : text;
}

/** Last resort for text that is neither JSON nor a form: `field=value` and `"field": "value"` pairs. */
function redactText(text: string): string {
  const names = SECRET_FORM_FIELDS.join('|');
  return text
    .replace(new RegExp(`(^|[^A-Za-z0-9_])(${names})=[^&\\s]*`, 'g'), '$1$2=[redacted]')
    .replace(new RegExp(`("(?:${names})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'g'), '$1"[redacted]"');
}

/**
 * The body as the request log keeps it: at most LOG_BODY_LIMIT characters, with the OAuth
 * secrets (codes, verifiers, refresh tokens, ...) redacted whatever the Content-Type says. On the
 * token endpoint (`tokenEndpoint`), a body that is not form-shaped is logged as its length only.
 */
export function bodyForLog(
  raw: Buffer,
  contentType: string | undefined,
  opts: { tokenEndpoint?: boolean } = {},
): string | undefined {
  if (!raw.length) return undefined;
  const full = raw.toString('utf8');
  let text: string;
  if (contentType?.includes('application/x-www-form-urlencoded')) text = redactForm(full);
  else if (opts.tokenEndpoint) {
    if (!FORM_SHAPED.test(full)) return `[${raw.length} bytes]`;
    text = redactForm(full);
  } else text = redactUntyped(full);
  text = text.slice(0, LOG_BODY_LIMIT);
  return raw.length > LOG_BODY_LIMIT ? `${text}…[${raw.length} bytes]` : text;
}

/** The query as the request log keeps it: the same secret fields redacted. */
export function queryForLog(query: Record<string, string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(query))
    out[k] = isSecretField(k) ? (Array.isArray(v) ? v.map(() => '[redacted]') : '[redacted]') : v;
  return out;
}

/** The bank's memory of what it was sent, newest last, bounded. */
export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  add(entry: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const full = { seq: ++this.seq, ...entry };
    this.entries.push(full);
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    return full;
  }

  list(since = 0): RequestLogEntry[] {
    return this.entries.filter((e) => e.seq > since);
  }

  clear(): void {
    this.entries = [];
  }

  /** Counts by status and by error code, e.g. { byStatus: { "429": 3 }, byCode: { "ACCESS_EXCEEDED": 1 } }. */
  stats(): {
    total: number;
    byStatus: Record<string, number>;
    byCode: Record<string, number>;
    byStatusAndCode: Record<string, number>;
  } {
    const byStatus: Record<string, number> = {};
    const byCode: Record<string, number> = {};
    const byStatusAndCode: Record<string, number> = {};
    for (const e of this.entries) {
      const s = String(e.status ?? 'none');
      byStatus[s] = (byStatus[s] ?? 0) + 1;
      if (e.errorCode) {
        byCode[e.errorCode] = (byCode[e.errorCode] ?? 0) + 1;
        const key = `${s} ${e.errorCode}`;
        byStatusAndCode[key] = (byStatusAndCode[key] ?? 0) + 1;
      }
    }
    return { total: this.entries.length, byStatus, byCode, byStatusAndCode };
  }
}
