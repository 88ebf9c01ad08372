import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ZodType } from 'zod';
import type { Logger } from '../logging/logger';
import { certificateDerBase64 } from '../xs2a/certs';
import type { PemPair, Psd2Role } from '../xs2a/certs/types';
import { parseKeyId, verifyXs2aRequest } from '../xs2a/signing';
import type { VerificationCode, VerificationResult } from '../xs2a/signing/types';
import { SandboxStateError, sandboxErrorStatus, type BankState, type SandboxBankId, type SandboxClock } from './state';
import { CertificateTrust, clientCertificate, requireRole, type TrustedCertificate } from './client-cert';
import { TRUNCATED_JSON, decideFault, type SandboxFaults } from './faults';
import {
  ApiFailure,
  BodyTooLarge,
  OAuthFailure,
  UUID_RE,
  header,
  noteOf,
  parseQuery,
  readRawBody,
  sendBgError,
  sendOAuthError,
} from './http';
import { type RateLimiter } from './rate-limit';
import { type RequestLog, bodyForLog, queryForLog, redactHeaders, type RequestLogEntry } from './request-log';
import type { SpecValidator } from './spec-validator';

/** Everything one sandbox bank's server works with. */
export interface BankRuntime {
  bank: SandboxBankId;
  state: BankState;
  clock: SandboxClock;
  /** PEM certificates the TPP's QWAC and QSEAL must chain to. */
  tppCaPems: string[];
  faults: SandboxFaults;
  limiter: RateLimiter;
  log: RequestLog;
  validator: SpecValidator;
  logger?: Logger;
  /** https://127.0.0.1:PORT, known once the server listens. */
  origin: string;
  apiKey?: string;
  /** What the HTTP layer remembers beside the state: the TPP's display name per consent, the owner per payment. */
  side: {
    consentTpp: Map<string, { name: string; orgId: string }>;
    paymentTpp: Map<string, { name: string; orgId: string }>;
  };
}

/**
 * - api: the full pipeline (faults, limits, QWAC and role, X-Request-ID, signature, validation).
 * - token: OAuth token endpoint: faults, limits, QWAC; a signature is checked only when sent; RFC 6749 errors.
 * - psu: pages for the PSU's browser: no client certificate, HTML answers.
 */
export type RouteKind = 'api' | 'token' | 'psu';

export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
  params: Record<string, string>;
  raw: Buffer;
  query: Record<string, string | string[]>;
  /** Parsed JSON body (api) once validated. */
  json?: unknown;
  /** Parsed form body (token, psu POST). */
  form?: URLSearchParams;
  qwac?: TrustedCertificate;
  verification?: VerificationResult;
  /** Headers to add to every answer (X-Request-ID echo). */
  responseHeaders: Record<string, string>;
  header(name: string): string | undefined;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path pattern with `:name` segments, e.g. "/psd2/:bankId/v1/consents/:consentId". */
  pattern: string;
  kind: RouteKind;
  /** PSD2 role the QWAC must carry (api and token routes). */
  role?: Psd2Role | 'any';
  /** Spec path to validate against (api routes); omitted when `bodySchema` validates instead. */
  specPath?: (r: RouteRequest) => string;
  /** Query parameters of our own (the page token), removed before spec validation. */
  ownQueryParams?: string[];
  /** zod schema for bodies of endpoints the Berlin Group spec does not define. */
  bodySchema?: ZodType;
  /** BEC: the enrolment itself is the one signed call an unenrolled certificate may make. */
  skipEnrolmentCheck?: boolean;
  handle(r: RouteRequest, rt: BankRuntime): Promise<void> | void;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.pattern
    .split('/')
    .map((seg) => {
      if (seg.startsWith(':')) {
        names.push(seg.slice(1));
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { ...route, regex: new RegExp(`^${source}/?$`), names };
}

const SIGNATURE_FAILURE_CODE: Partial<Record<VerificationCode, string>> = {
  SIGNATURE_MISSING: 'SIGNATURE_MISSING',
  DIGEST_MISSING: 'SIGNATURE_MISSING',
  CERTIFICATE_MISSING: 'CERTIFICATE_MISSING',
  CERTIFICATE_INVALID: 'CERTIFICATE_INVALID',
};

/**
 * The X-Request-ID of an answer. Berlin Group 1.3.12 makes it a required response header of format
 * uuid on every response, 404, 405 and 415 included: the request's own when it is a UUID, else a fresh one.
 */
function responseRequestId(requestId: string | undefined): string {
  return requestId !== undefined && UUID_RE.test(requestId) ? requestId : randomUUID();
}

/** The router and the request pipeline shared by all sandbox banks. */
export class BankServer {
  private readonly routes: CompiledRoute[];
  readonly server: Server;
  /** The TPP CA(s) parsed once per server, with the certificates already found to chain to them. */
  private trustCache?: { caPems: readonly string[]; trust: CertificateTrust };
  /** Cancels each injected-latency wait still pending; close() calls them all. */
  private readonly pendingWaits = new Set<() => void>();

  constructor(
    private readonly rt: BankRuntime,
    routes: Route[],
    tls: PemPair,
    /** Checks path parameters every route shares (BEC's bankId); throws ApiFailure. */
    private readonly guard?: (params: Record<string, string>) => void,
  ) {
    this.routes = routes.map(compile);
    this.server = createServer(
      {
        cert: tls.certificatePem,
        key: tls.privateKeyPem,
        requestCert: true,
        // The certificate is judged per route, so a bad one gets a Berlin Group body, not a TLS alert.
        rejectUnauthorized: false,
      },
      (req, res) => {
        this.handle(req, res).catch((err) => this.crash(res, err));
      },
    );
    // A client that sends garbage must not take the process down.
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.destroy();
    });
    this.server.on('tlsClientError', () => undefined);
  }

  /** Built on first use, and again only if the runtime is given another list of CAs. */
  private trust(): CertificateTrust {
    if (this.trustCache?.caPems !== this.rt.tppCaPems)
      this.trustCache = { caPems: this.rt.tppCaPems, trust: new CertificateTrust(this.rt.tppCaPems) };
    return this.trustCache.trust;
  }

  private crash(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
    this.rt.logger?.error({ err, bank: this.rt.bank }, 'sandbox bank handler failed');
    if (!res.headersSent && !res.destroyed) {
      sendBgError(
        res,
        new ApiFailure(500, 'INTERNAL_SERVER_ERROR', 'The sandbox bank failed to process the request'),
        headers,
      );
    } else if (!res.writableEnded) res.destroy();
  }

  private match(
    method: string,
    path: string,
  ): { route?: CompiledRoute; params: Record<string, string>; pathKnown: boolean } {
    let pathKnown = false;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      pathKnown = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      // Undecodable segments stay as they are; ids never contain '%', so they match nothing later.
      route.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]);
        } catch {
          params[name] = m[i + 1];
        }
      });
      return { route, params, pathKnown };
    }
    return { params: {}, pathKnown };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://sandbox.invalid');
    } catch {
      url = new URL('https://sandbox.invalid/');
    }
    const entry: Omit<RequestLogEntry, 'seq'> = {
      time: this.rt.clock.now().toISOString(),
      bank: this.rt.bank,
      method,
      path: url.pathname,
      query: queryForLog(parseQuery(url.searchParams)),
      headers: redactHeaders(req.headers),
    };
    res.on('close', () => {
      const note = noteOf(res);
      this.rt.log.add({
        ...entry,
        status: note.status,
        errorCode: note.errorCode,
        durationMs: Math.round(performance.now() - started),
      });
      this.rt.logger?.debug(
        { bank: this.rt.bank, method, path: url.pathname, status: note.status, code: note.errorCode },
        'sandbox request',
      );
    });

    const { route, params, pathKnown } = this.match(method, url.pathname);
    const requestIdHeader = { 'x-request-id': responseRequestId(header(req, 'x-request-id')) };
    let raw: Buffer;
    try {
      raw = await readRawBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        sendBgError(res, new ApiFailure(413, 'FORMAT_ERROR', 'The request body is larger than 1 MB'), {
          ...requestIdHeader,
          connection: 'close',
        });
        return;
      }
      res.destroy();
      return;
    }
    entry.body = bodyForLog(raw, header(req, 'content-type'), { tokenEndpoint: route?.kind === 'token' });

    if (!route) {
      const failure = pathKnown
        ? new ApiFailure(405, 'SERVICE_INVALID', `${method} is not supported on ${url.pathname}`)
        : new ApiFailure(404, 'RESOURCE_UNKNOWN', `No resource at ${url.pathname}`);
      sendBgError(res, failure, requestIdHeader);
      return;
    }

    const r: RouteRequest = {
      req,
      res,
      url,
      method,
      params,
      raw,
      query: parseQuery(url.searchParams),
      // PSU pages answer a browser; every other answer carries X-Request-ID.
      responseHeaders: route.kind === 'psu' ? {} : { ...requestIdHeader },
      header: (name) => header(req, name),
    };
    const requestId = r.header('x-request-id');

    try {
      this.guard?.(params);
      if (route.kind === 'psu') {
        if (raw.length && r.header('content-type')?.includes('application/x-www-form-urlencoded'))
          r.form = new URLSearchParams(raw.toString('utf8'));
        await route.handle(r, this.rt);
        return;
      }
      if (!(await this.applyFaults(r))) return;
      this.applyRateLimit();
      r.qwac = clientCertificate(req.socket as TLSSocket, this.trust());
      if (route.role && route.role !== 'any') requireRole(r.qwac, route.role);
      else if (route.role === 'any' && !r.qwac.info.psd2?.roles.length) {
        throw new ApiFailure(401, 'ROLE_INVALID', 'The QWAC carries no PSD2 role');
      }
      if (route.kind === 'api') {
        this.checkRequestId(r);
        this.checkSignature(r, route, entry);
        this.validate(r, route);
      } else {
        if (requestId !== undefined) this.checkRequestId(r);
        if (r.header('signature') !== undefined) this.checkSignature(r, route, entry);
        this.parseTokenForm(r);
      }
      await route.handle(r, this.rt);
    } catch (err) {
      if (err instanceof ApiFailure) sendBgError(res, err, r.responseHeaders);
      else if (err instanceof OAuthFailure) sendOAuthError(res, err);
      else if (err instanceof SandboxStateError && sandboxErrorStatus(err.code) < 500) {
        sendBgError(
          res,
          new ApiFailure(sandboxErrorStatus(err.code), err.code, err.message, err.path),
          r.responseHeaders,
        );
      } else this.crash(res, err, r.responseHeaders);
    }
  }

  /**
   * Resolves true after `ms`, or false at once when the server closes first. The timer is
   * unref'd, so a pending wait neither keeps the process alive nor outlives the server.
   */
  private wait(ms: number): Promise<boolean> {
    return new Promise((resolveWait) => {
      const cancel = () => {
        clearTimeout(timer);
        this.pendingWaits.delete(cancel);
        resolveWait(false);
      };
      const timer = setTimeout(() => {
        this.pendingWaits.delete(cancel);
        resolveWait(true);
      }, ms);
      timer.unref();
      this.pendingWaits.add(cancel);
    });
  }

  /** False when the fault has already answered (or dropped) the request. */
  private async applyFaults(r: RouteRequest): Promise<boolean> {
    const faults = this.rt.faults;
    if (faults.pathIncludes && !r.url.pathname.includes(faults.pathIncludes)) return true;
    if (faults.latencyMs > 0) {
      if (!(await this.wait(faults.latencyMs))) {
        r.res.destroy();
        return false;
      }
    }
    const decision = decideFault(faults);
    switch (decision.kind) {
      case 'none':
        return true;
      case 'drop':
        noteOf(r.res).errorCode = 'FAULT_DROPPED';
        r.req.socket.destroy();
        return false;
      case 'error':
        sendBgError(
          r.res,
          decision.status === 503
            ? new ApiFailure(503, 'SERVICE_UNAVAILABLE', 'The service is temporarily unavailable (injected fault)')
            : new ApiFailure(500, 'INTERNAL_SERVER_ERROR', 'Internal server error (injected fault)'),
          r.responseHeaders,
        );
        return false;
      case 'malformed': {
        const note = noteOf(r.res);
        note.status = 200;
        note.errorCode = 'FAULT_MALFORMED';
        r.res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(TRUNCATED_JSON),
          ...r.responseHeaders,
        });
        r.res.end(TRUNCATED_JSON);
        return false;
      }
    }
  }

  private applyRateLimit(): void {
    const decision = this.rt.limiter.take();
    if (!decision.allowed) {
      throw new ApiFailure(429, 'TOO_MANY_REQUESTS', `Rate limit exceeded: ${decision.reason}`, undefined, {
        'retry-after': String(decision.retryAfterSeconds),
      });
    }
  }

  private checkRequestId(r: RouteRequest): void {
    const id = r.header('x-request-id');
    if (id === undefined || id === '')
      throw new ApiFailure(400, 'FORMAT_ERROR', 'Header X-Request-ID is missing', 'X-Request-ID');
    if (!UUID_RE.test(id))
      throw new ApiFailure(
        400,
        'FORMAT_ERROR',
        `Header X-Request-ID "${id.slice(0, 80)}" is not a UUID`,
        'X-Request-ID',
      );
  }

  private checkSignature(r: RouteRequest, route: Route, entry: Omit<RequestLogEntry, 'seq'>): void {
    const result = verifyXs2aRequest({ headers: r.req.headers, body: r.raw, strict: true });
    r.verification = result;
    entry.verification = {
      ok: result.ok,
      errors: result.errors,
      warnings: result.warnings,
      ...(result.keyIdCaEncoding ? { keyIdCaEncoding: result.keyIdCaEncoding } : {}),
    };
    if (!result.ok || result.errors.length) {
      const first = result.errors[0];
      const code = (first && SIGNATURE_FAILURE_CODE[first.code]) ?? 'SIGNATURE_INVALID';
      const text =
        result.errors.map((e) => `${e.code}: ${e.message}`).join('; ') || 'The signature could not be verified';
      throw new ApiFailure(401, code, text);
    }
    if (!result.certificatePem)
      throw new ApiFailure(401, 'CERTIFICATE_MISSING', 'TPP-Signature-Certificate is missing');
    // Enfuce documents keyId as "SN=<serial hex>,CA=<the URL-encoded DN of the QSEALC issuer>"; BEC takes it raw.
    if (this.rt.bank !== 'bec' && result.keyIdCaEncoding === 'raw') {
      const ca = parseKeyId(result.keyId!).ca;
      throw new ApiFailure(
        401,
        'SIGNATURE_INVALID',
        `keyId CA must be the URL-encoded distinguished name of the QSEALC issuer ("SN=<serial hex>,CA=<URL-encoded DN>"), not the raw DN "${ca.slice(0, 200)}": send CA=${encodeURIComponent(ca).slice(0, 300)}`,
      );
    }
    const seal = this.trust().check(result.certificatePem, 'signing certificate');
    const qwacOrg = r.qwac?.info.organizationIdentifier;
    if (seal.info.organizationIdentifier !== qwacOrg) {
      throw new ApiFailure(
        401,
        'CERTIFICATE_INVALID',
        `The signing certificate's organizationIdentifier "${seal.info.organizationIdentifier ?? 'none'}" differs from the QWAC's "${qwacOrg}"`,
      );
    }
    if (
      this.rt.bank === 'bec' &&
      !route.skipEnrolmentCheck &&
      !this.rt.state.isEnrolled(certificateDerBase64(result.certificatePem))
    ) {
      throw new ApiFailure(
        401,
        'CERTIFICATE_BLOCKED',
        `The signing certificate (serial ${seal.info.serialNumber}) is not enrolled: POST /v1/enrolment with it first`,
      );
    }
  }

  private validate(r: RouteRequest, route: Route): void {
    const contentType = r.header('content-type') ?? '';
    if (r.raw.length) {
      if (!/application\/(.+\+)?json/i.test(contentType)) {
        // Berlin Group 1.3.12 documents 415 Unsupported Media Type for this, not 400.
        throw new ApiFailure(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          `Content-Type must be application/json, not "${contentType.slice(0, 80)}"`,
          'Content-Type',
        );
      }
      try {
        r.json = JSON.parse(r.raw.toString('utf8'));
      } catch (err) {
        throw new ApiFailure(
          400,
          'FORMAT_ERROR',
          `The body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    if (route.specPath) {
      const query = { ...r.query };
      for (const own of route.ownQueryParams ?? []) delete query[own];
      let violation;
      try {
        violation = this.rt.validator.validate({
          method: r.method,
          path: route.specPath(r),
          query,
          headers: r.req.headers,
          body: r.json,
        });
      } catch (err) {
        // e.g. a path segment that is not valid percent-encoding
        throw new ApiFailure(
          400,
          'FORMAT_ERROR',
          `The request cannot be parsed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      if (violation) throw new ApiFailure(400, violation.code, violation.text, violation.path);
    }
    if (route.bodySchema) {
      const parsed = route.bodySchema.safeParse(r.json ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const path = issue?.path.join('.') || undefined;
        throw new ApiFailure(
          400,
          'FORMAT_ERROR',
          parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '),
          path,
        );
      }
      r.json = parsed.data;
    }
  }

  private parseTokenForm(r: RouteRequest): void {
    const contentType = r.header('content-type') ?? '';
    if (!contentType.includes('application/x-www-form-urlencoded')) {
      throw new OAuthFailure(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    }
    r.form = new URLSearchParams(r.raw.toString('utf8'));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolveListen, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolveListen(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    for (const cancel of [...this.pendingWaits]) cancel();
    return new Promise((resolveClose) => {
      this.server.close(() => resolveClose());
      this.server.closeAllConnections();
    });
  }
}
