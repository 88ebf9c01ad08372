import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { generateSandboxCertificates } from '../../xs2a/certs';
import type { GenerateSandboxOptions, PemPair, SandboxCertificateSet } from '../../xs2a/certs/types';
import { BEC_SIGNATURE_STYLE, ENFUCE_SIGNATURE_STYLE, Xs2aSigner } from '../../xs2a/signing';
import type { SignatureStyle } from '../../xs2a/signing/types';

/** A TPP as the sandbox sees it: certificates, a signer and an mTLS agent trusting the banks' server CA. */
export interface TestTpp {
  certs: SandboxCertificateSet;
  orgId: string;
  signer(style: 'bec' | 'enfuce'): Xs2aSigner;
  agent: Agent;
}

export function makeTpp(
  serverCaPem: string,
  opts: GenerateSandboxOptions = {},
  qwacOverride?: PemPair | null,
): TestTpp {
  const organizationIdentifier =
    opts.organizationIdentifier ?? `PSDDK-DFSA-${Math.floor(10_000_000 + Math.random() * 89_999_999)}`;
  const certs = generateSandboxCertificates({ ...opts, organizationIdentifier });
  const qwac = qwacOverride === undefined ? certs.qwac : qwacOverride;
  const styles: Record<'bec' | 'enfuce', SignatureStyle> = { bec: BEC_SIGNATURE_STYLE, enfuce: ENFUCE_SIGNATURE_STYLE };
  const signers = new Map<string, Xs2aSigner>();
  return {
    certs,
    orgId: organizationIdentifier,
    signer(style) {
      if (!signers.has(style)) signers.set(style, new Xs2aSigner(certs.qseal, styles[style]));
      return signers.get(style)!;
    },
    agent: new Agent({
      connect: { ca: serverCaPem, ...(qwac ? { cert: qwac.certificatePem, key: qwac.privateKeyPem } : {}) },
      keepAliveTimeout: 1000,
    }),
  };
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  json?: unknown;
  /** Body bytes sent as they are (after signing over them unless `signBody` says otherwise). */
  rawBody?: string;
  form?: Record<string, string>;
  /** Signature style; null sends no signature headers. */
  sign?: 'bec' | 'enfuce' | null;
  /** X-Request-ID; null leaves it out. */
  requestId?: string | null;
  /** Changes headers or body after signing (tampering tests). */
  after?: (
    headers: Record<string, string>,
    body: string | undefined,
  ) => { headers: Record<string, string>; body: string | undefined };
}

export interface CallResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

/** A signed XS2A request over mTLS, as a TPP would send it. */
export async function call(tpp: TestTpp, url: string, opts: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { accept: 'application/json', ...(opts.headers ?? {}) };
  if (opts.requestId !== null) headers['X-Request-ID'] = opts.requestId ?? randomUUID();
  let body: string | undefined = opts.rawBody;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  if (opts.form) {
    body = new URLSearchParams(opts.form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  if (opts.sign !== null) {
    Object.assign(headers, tpp.signer(opts.sign ?? 'bec').sign(headers, body ?? ''));
  }
  let final = { headers, body };
  if (opts.after) final = opts.after({ ...headers }, body);
  const res = await request(url, {
    method: opts.method ?? (body !== undefined ? 'POST' : 'GET'),
    headers: final.headers,
    body: final.body,
    dispatcher: tpp.agent,
  });
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, body: parsed };
}

/** The first tppMessages code of a Berlin Group error body. */
export function codeOf(res: CallResult): string | undefined {
  return res.body?.tppMessages?.[0]?.code ?? res.body?.error;
}

/** A browser: no client certificate, no redirects followed. */
export function browser(serverCaPem: string) {
  const agent = new Agent({ connect: { ca: serverCaPem } });
  return {
    agent,
    async get(url: string) {
      const res = await request(url, { method: 'GET', dispatcher: agent });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    },
    async post(url: string, form: Record<string, string>) {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
        dispatcher: agent,
      });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    },
  };
}

/** Hidden and pre-filled inputs of a page's form, as a browser would submit them. */
export function formFields(html: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of html.matchAll(/<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) out[decode(m[1])] = decode(m[2]);
  return out;
}

function decode(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export async function admin(
  adminUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await request(`${adminUrl}${path}`, {
    method: method as 'GET',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: text ? JSON.parse(text) : undefined };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function daysFrom(d: Date, days: number): string {
  return isoDate(new Date(d.getTime() + days * 86_400_000));
}

export const PSU_IP = '192.0.2.10';
export const TPP_REDIRECT = 'https://tpp.example/callback?ok=1';
export const TPP_NOK_REDIRECT = 'https://tpp.example/callback?ok=0';
