import type { VerificationIssue } from '../xs2a/signing/types';

export interface RequestLogEntry {
  seq: number;
  time: string;
  bank: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** Every header received; credentials (Authorization, X-API-Key) redacted. */
  headers: Record<string, string | string[] | undefined>;
  /** Body as text, at most 4 KB; OAuth secrets (codes, verifiers, refresh tokens) redacted. */
  body?: string;
  verification?: { ok: boolean; errors: VerificationIssue[]; warnings: VerificationIssue[] };
  status?: number;
  errorCode?: string;
  durationMs?: number;
}

export const LOG_BODY_LIMIT = 4096;
const MAX_ENTRIES = 5000;
const SECRET_HEADERS = new Set(['authorization', 'x-api-key', 'cookie']);
const SECRET_FORM_FIELDS = ['code', 'code_verifier', 'refresh_token', 'client_secret', 'access_token'];

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!SECRET_HEADERS.has(k.toLowerCase())) out[k] = v;
    else if (typeof v === 'string' && /^bearer\s/i.test(v)) out[k] = 'Bearer [redacted]';
    else out[k] = '[redacted]';
  }
  return out;
}

export function bodyForLog(raw: Buffer, contentType: string | undefined): string | undefined {
  if (!raw.length) return undefined;
  let text = raw.subarray(0, LOG_BODY_LIMIT).toString('utf8');
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(raw.toString('utf8'));
    for (const field of SECRET_FORM_FIELDS) if (form.has(field)) form.set(field, '[redacted]');
    text = form.toString().slice(0, LOG_BODY_LIMIT);
  }
  return raw.length > LOG_BODY_LIMIT ? `${text}…[${raw.length} bytes]` : text;
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
  stats(): { total: number; byStatus: Record<string, number>; byCode: Record<string, number>; byStatusAndCode: Record<string, number> } {
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
