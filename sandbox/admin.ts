import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../logging/logger';
import type { BankRuntime } from './bank-server';
import { mergeFaults } from './faults';
import { BodyTooLarge, readRawBody } from './http';
import { SandboxStateError, sandboxErrorStatus, type SandboxBankId, type SandboxClock } from './state';

/**
 * Plain-HTTP control API for tests and demos: clock, faults, limits, settings, PSU revocation,
 * client-token revocation and expiry, the request log.
 */

export interface AdminBankView {
  id: SandboxBankId;
  baseUrl: string;
  origin: string;
  apiKey?: string;
}

export interface AdminDeps {
  clock: SandboxClock;
  runtimes: Map<SandboxBankId, BankRuntime>;
  views: () => AdminBankView[];
  logger?: Logger;
}

class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (res.headersSent) return;
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw: Buffer;
  try {
    raw = await readRawBody(req);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new AdminError(413, 'body larger than 1 MB');
    throw err;
  }
  if (!raw.length) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AdminError(400, 'body is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new AdminError(400, 'body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** The clock refuses a move outside the valid date range with a RangeError: the caller's mistake, 400. */
function clockChange(change: () => void): void {
  try {
    change();
  } catch (err) {
    if (err instanceof RangeError) throw new AdminError(400, err.message);
    throw err;
  }
}

export function createAdminServer(deps: AdminDeps): Server {
  const bankOf = (id: string): BankRuntime => {
    const rt = deps.runtimes.get(id as SandboxBankId);
    if (!rt) throw new AdminError(404, `unknown bank ${id}; known: ${[...deps.runtimes.keys()].join(', ')}`);
    return rt;
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    const method = req.method ?? 'GET';
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new AdminError(400, `the path ${url.pathname.slice(0, 200)} is not valid percent-encoding`);
    }
    if (parts[0] !== 'admin') throw new AdminError(404, `no admin resource at ${url.pathname}`);
    const [, a, b, c, d, e] = parts;

    if (a === 'clock' && b === undefined && method === 'GET')
      return send(res, 200, { now: deps.clock.now().toISOString() });
    if (a === 'clock' && b === 'advance' && method === 'POST') {
      const body = await jsonBody(req);
      const ms = typeof body.ms === 'number' ? body.ms : typeof body.days === 'number' ? body.days * 86_400_000 : NaN;
      if (!Number.isFinite(ms)) throw new AdminError(400, 'give {"ms": n} or {"days": n}');
      clockChange(() => deps.clock.advance(ms));
      return send(res, 200, { now: deps.clock.now().toISOString() });
    }
    if (a === 'clock' && b === 'set' && method === 'POST') {
      const body = await jsonBody(req);
      const date = typeof body.now === 'string' ? new Date(body.now) : new Date(NaN);
      if (Number.isNaN(date.getTime())) throw new AdminError(400, 'give {"now": "<ISO date>"}');
      clockChange(() => deps.clock.set(date));
      return send(res, 200, { now: deps.clock.now().toISOString() });
    }
    if (a === 'banks' && b === undefined && method === 'GET') {
      return send(
        res,
        200,
        deps.views().map((v) => {
          const rt = bankOf(v.id);
          return {
            ...v,
            settings: rt.state.settings,
            faults: rt.faults,
            limits: rt.limiter.current,
            testPsus: rt.state.testPsus(),
          };
        }),
      );
    }
    if (a === 'banks' && b) {
      const rt = bankOf(b);
      if (c === 'consents' && d && e === 'revoke' && method === 'POST') {
        if (!rt.state.getConsent(d)) throw new AdminError(404, `unknown consent ${d}`);
        return send(res, 200, rt.state.revokeConsent(d, 'psu'));
      }
      if (c === 'consents' && d && e === undefined && method === 'GET') {
        const consent = rt.state.getConsent(d);
        if (!consent) throw new AdminError(404, `unknown consent ${d}`);
        return send(res, 200, consent);
      }
      // Early revocation or expiry (clock skew) of the TPP's client-credentials tokens (Enfuce).
      if (c === 'client-tokens' && (d === 'revoke' || d === 'expire') && e === undefined && method === 'POST') {
        return send(res, 200, { [d === 'revoke' ? 'revoked' : 'expired']: rt.state.endClientTokens(d) });
      }
      if (c === 'faults' && d === undefined && method === 'PUT') {
        try {
          rt.faults = mergeFaults(rt.faults, await jsonBody(req));
        } catch (err) {
          if (err instanceof AdminError) throw err;
          throw new AdminError(400, err instanceof Error ? err.message : String(err));
        }
        return send(res, 200, rt.faults);
      }
      if (c === 'limits' && d === undefined && method === 'PUT') {
        const body = await jsonBody(req);
        try {
          rt.limiter.set(body);
        } catch (err) {
          throw new AdminError(400, err instanceof Error ? err.message : String(err));
        }
        return send(res, 200, rt.limiter.current);
      }
      if (c === 'settings' && d === undefined && method === 'PUT') {
        // BankState checks every key and value (FORMAT_ERROR naming the setting → 400).
        rt.state.updateSettings(await jsonBody(req));
        return send(res, 200, rt.state.settings);
      }
      if (c === 'requests' && d === undefined && method === 'GET') {
        const since = Number(url.searchParams.get('since') ?? 0);
        return send(res, 200, rt.log.list(Number.isFinite(since) ? since : 0));
      }
      if (c === 'requests' && d === undefined && method === 'DELETE') {
        rt.log.clear();
        return send(res, 204);
      }
      if (c === 'stats' && d === undefined && method === 'GET') return send(res, 200, rt.log.stats());
    }
    throw new AdminError(404, `no admin resource ${method} ${url.pathname}`);
  };

  return createServer((req, res) => {
    route(req, res).catch((err) => {
      if (err instanceof AdminError) return send(res, err.status, { error: err.message });
      if (err instanceof SandboxStateError)
        return send(res, sandboxErrorStatus(err.code), { error: err.message, code: err.code });
      deps.logger?.error({ err }, 'sandbox admin request failed');
      send(res, 500, { error: 'internal error' });
    });
  });
}
