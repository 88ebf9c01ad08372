import type { IncomingMessage, ServerResponse } from 'node:http';
import { tppErrorBody } from '../xs2a/errors';

/** Largest request body a sandbox bank accepts. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A failure that ends the request with a Berlin Group error body. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    text: string,
    readonly path?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(text);
    this.name = 'ApiFailure';
  }
}

/** An OAuth (RFC 6749) token endpoint error. */
export class OAuthFailure extends Error {
  constructor(
    readonly status: 400 | 401,
    readonly error: 'invalid_grant' | 'invalid_request' | 'invalid_client' | 'unsupported_grant_type',
    description: string,
  ) {
    super(description);
    this.name = 'OAuthFailure';
  }
}

export class BodyTooLarge extends Error {}

/** Reads the exact body bytes before anything parses them: the Digest is over these bytes. */
export function readRawBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLarge(`body of ${declared} bytes exceeds ${limit}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reject(new BodyTooLarge(`body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolveBody(Buffer.concat(chunks));
      }
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
    // A client that hangs up mid-body: no 'end' comes, so do not wait for one.
    req.on('close', () => {
      if (!done) {
        done = true;
        reject(new Error('request closed before its body was complete'));
      }
    });
  });
}

/** What the request log records about the answer. */
export interface ResponseNote {
  status?: number;
  errorCode?: string;
}

export function noteOf(res: ServerResponse): ResponseNote {
  return ((res as unknown as { sandboxNote?: ResponseNote }).sandboxNote ??= {});
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  noteOf(res).status = status;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendNoContent(res: ServerResponse, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  noteOf(res).status = 204;
  res.writeHead(204, headers);
  res.end();
}

export function sendBgError(res: ServerResponse, failure: ApiFailure, extraHeaders: Record<string, string> = {}): void {
  noteOf(res).errorCode = failure.code;
  if (failure.status === 415) {
    // Berlin Group 1.3.12 defines no body for 415 ("no valid message codes"): headers only.
    res.writeHead(415, { ...failure.headers, ...extraHeaders });
    res.end();
    return;
  }
  const tppMessages = splitTppText(failure.message).map(
    (text) => tppErrorBody(failure.code, text, 'ERROR', failure.path).tppMessages[0],
  );
  sendJson(res, failure.status, { tppMessages }, { ...failure.headers, ...extraHeaders });
}

/** Berlin Group 1.3.12 tppMessageText: maxLength 500. */
export const TPP_TEXT_MAX = 500;

/**
 * A text of at most TPP_TEXT_MAX characters as is; a longer one as several, cut after "; " (how
 * the pipeline joins its reasons) where one fits, else at the limit, so each stays within the spec.
 */
export function splitTppText(text: string, max = TPP_TEXT_MAX): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const cut = window.lastIndexOf('; ');
    // Cut inside a surrogate pair never: step back one when the limit falls between the halves.
    let end = cut > 0 ? cut : max;
    if (cut <= 0 && /[\uD800-\uDBFF]/.test(rest.charAt(end - 1))) end -= 1;
    parts.push(rest.slice(0, end));
    rest = cut > 0 ? rest.slice(cut + 2) : rest.slice(end);
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}

export function sendOAuthError(res: ServerResponse, failure: OAuthFailure): void {
  noteOf(res).errorCode = failure.error;
  sendJson(
    res,
    failure.status,
    { error: failure.error, error_description: failure.message },
    { 'cache-control': 'no-store' },
  );
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  if (res.headersSent || res.destroyed) return;
  noteOf(res).status = status;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
    // No form-action: Chrome applies it to the redirect after the POST, which goes to the TPP.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
  });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string): void {
  if (res.headersSent || res.destroyed) return;
  noteOf(res).status = 302;
  res.writeHead(302, { location, 'content-length': 0, 'cache-control': 'no-store' });
  res.end();
}

/** One header's value; repeated headers are joined as HTTP allows. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v;
}

export function parseQuery(search: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const all = search.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
