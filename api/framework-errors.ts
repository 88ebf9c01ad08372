import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, sendProblem } from './problem';
import { errorPage, prefersJson } from './routes/callback/page';

/**
 * Errors fastify and node answer before any route runs, as problem+json like every other
 * error: a URL that is not valid percent-encoding (400), a path parameter longer than the
 * router takes (414), and, at the HTTP parser, headers over 16 KB (431), a request line too
 * long (414), a timed-out or malformed request (408/400).
 */

/** Path parameters longer than this never reach a route (414); up to it, the route's schema answers (422). */
export const MAX_PARAM_LENGTH = 1000;

/** fastify's `frameworkErrors` option. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      void sendProblem(reply, request, 400, 'the URL is not valid percent-encoding');
      return;
    case 'FST_ERR_MAX_PARAM_LENGTH':
      void sendProblem(reply, request, 414, `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`);
      return;
    default:
      request.log.error({ err: error }, 'request failed in the router');
      void sendProblem(reply, request, 500, 'internal error; the request id is in the x-request-id header');
  }
}

function clientErrorStatus(code: string | undefined): { status: number; detail: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, detail: 'the request headers are larger than the server takes (16 KB)' };
    case 'HPE_URI_TOO_LONG':
      return { status: 414, detail: 'the request URL is too long' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, detail: 'the request was not received in time' };
    default:
      return { status: 400, detail: 'the request is not valid HTTP' };
  }
}

/**
 * A PSU's return to GET /callback too long for the server to read (request line and headers over
 * 16 KB): the PSU's browser gets the callback's own "link cannot be read" page (400), as for any
 * unreadable callback, not a bare 414/431 (problem+json where the client asked for JSON).
 */
function psuCallbackTooLarge(status: number, raw: unknown): { type: string; body: string } | undefined {
  // Node hands the bytes it read as a Buffer (its typings say otherwise).
  if ((status !== 431 && status !== 414) || !Buffer.isBuffer(raw)) return undefined;
  const head = raw.subarray(0, 64 * 1024).toString('latin1');
  if (!/^(GET|HEAD) \/callback([?/ ]|$)/.test(head)) return undefined;
  const accept = /\r\naccept:[ \t]*([^\r\n]*)/i.exec(head)?.[1];
  const detail = 'the callback cannot be read: it is longer than the server takes';
  if (prefersJson(accept)) {
    return {
      type: PROBLEM_CONTENT_TYPE,
      body: JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail, instance: '/callback' }),
    };
  }
  return {
    type: 'text/html; charset=utf-8',
    body: errorPage('This link is not valid', 'The bank sent you back with a link we cannot read.'),
  };
}

/**
 * fastify's `clientErrorHandler`: the node HTTP server's 'clientError' (the parser refused the
 * request, so there is no request object): answer problem+json on the socket and close it.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, detail } = clientErrorStatus(error.code);
  this.log.debug({ err: error, status }, 'client error');
  const page = psuCallbackTooLarge(status, error.rawPacket);
  if (page && socket.writable) {
    socket.write(
      'HTTP/1.1 400 Bad Request\r\n' +
        `Content-Type: ${page.type}\r\n` +
        `Content-Length: ${Buffer.byteLength(page.body)}\r\n` +
        'Cache-Control: no-store\r\nConnection: close\r\n\r\n' +
        page.body,
    );
  } else if (socket.writable) {
    const title = STATUS_CODES[status] ?? 'Error';
    const body = JSON.stringify({ type: 'about:blank', title, status, detail });
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}

/**
 * The methods each route path answers, so that a known path asked with another method is a 405
 * with Allow (not a 404): fed by an onRoute hook, read by the not-found handler.
 */
export class RouteMethods {
  private readonly routes: { pattern: RegExp; methods: Set<string> }[] = [];
  private readonly byUrl = new Map<string, Set<string>>();

  add(url: string, method: string | string[]): void {
    let methods = this.byUrl.get(url);
    if (!methods) {
      methods = new Set();
      this.byUrl.set(url, methods);
      const source = url
        .split('/')
        .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/');
      this.routes.push({ pattern: new RegExp(`^${source}/?$`), methods });
    }
    for (const m of Array.isArray(method) ? method : [method]) methods.add(m.toUpperCase());
  }

  /** The methods `path` answers; empty when no route has this path. */
  allowed(path: string): string[] {
    const found = new Set<string>();
    for (const route of this.routes) if (route.pattern.test(path)) for (const m of route.methods) found.add(m);
    return [...found].sort();
  }
}
