import { errorFromResponse, Xs2aError } from '../../../xs2a/errors';
import { fieldPath } from '../../../xs2a/transport/url';
import type { TransportStats, Xs2aRequest, Xs2aResponse, Xs2aTransport } from '../../../xs2a/transport/types';

export interface CannedResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Handler = (req: Xs2aRequest<unknown>) => CannedResponse;

/**
 * Isolates the operations from HTTP: records every request and answers from a queue
 * of canned responses (or a handler). Mirrors the real transport's contract where the
 * operations depend on it: non-2xx become errorFromResponse, `schema` is enforced.
 */
export class FakeTransport implements Xs2aTransport {
  readonly requests: Xs2aRequest<unknown>[] = [];
  private readonly queue: (CannedResponse | Handler)[] = [];
  private counter = 0;

  reply(...responses: (CannedResponse | Handler)[]): this {
    this.queue.push(...responses);
    return this;
  }

  get last(): Xs2aRequest<unknown> {
    const req = this.requests.at(-1);
    if (!req) throw new Error('no request was sent');
    return req;
  }

  async request<T>(req: Xs2aRequest<T>): Promise<Xs2aResponse<T>> {
    this.requests.push(req);
    const next = this.queue.shift();
    if (!next) throw new Error(`FakeTransport: no canned response left for ${req.operation}`);
    const canned = typeof next === 'function' ? next(req) : next;
    const status = canned.status ?? 200;
    const requestId = `req-${++this.counter}`;
    if (status < 200 || status > 299) {
      throw errorFromResponse({ status, body: canned.body, requestId, operation: req.operation, aspsp: 'fake' });
    }
    let data = canned.body as T;
    if (req.schema) {
      const parsed = req.schema.safeParse(canned.body);
      if (!parsed.success) {
        const field = fieldPath(parsed.error.issues[0]?.path ?? []);
        throw new Xs2aError(`${req.operation}: invalid response at ${field}`, {
          kind: 'invalid_response',
          field,
          requestId,
          operation: req.operation,
        });
      }
      data = parsed.data;
    }
    return { status, headers: canned.headers ?? {}, data, requestId };
  }

  stats(): TransportStats {
    return { requests: this.requests.length, tlsHandshakes: 0 };
  }

  async close(): Promise<void> {}
}
