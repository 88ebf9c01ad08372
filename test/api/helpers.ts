import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../api/app';
import { createApiKey, type ApiScope } from '../../api/auth/api-keys';
import { AppMetrics } from '../../metrics/registry';
import { startStack, type Stack } from '../helpers/stack';
import { testLogger } from '../helpers/logger';
import { callbackQuery, psuDecides } from '../helpers/psu';

export interface ApiHarness {
  stack: Stack;
  app: FastifyInstance;
  metrics: AppMetrics;
  key(opts?: { customers?: string[]; scopes?: ApiScope[] }): Promise<string>;
  call(
    method: string,
    url: string,
    key: string | undefined,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** The PSU approves or denies at the bank, and the bank's redirect reaches our GET /callback through the API. */
  psuThroughApi(
    authorisationUrl: string,
    decision: 'approve' | 'deny',
    psuId?: string,
  ): Promise<LightMyRequestResponse>;
  stop(): Promise<void>;
}

export async function startApi(opts: Parameters<typeof startStack>[0] = {}): Promise<ApiHarness> {
  const stack = await startStack(opts);
  const metrics = new AppMetrics();
  const app = buildApp({ ...stack.deps, logger: testLogger(), metrics });
  await app.ready();
  let n = 0;
  return {
    stack,
    app,
    metrics,
    async key(opts = {}) {
      const { key } = await createApiKey(stack.deps.repositories.apiKeys, {
        name: `test-${++n}`,
        customerIds: opts.customers,
        scopes: opts.scopes,
      });
      return key;
    },
    call(method, url, key, body, headers = {}) {
      return app.inject({
        method: method as 'GET',
        url,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
    async psuThroughApi(authorisationUrl, decision, psuId) {
      const { location } = await psuDecides(authorisationUrl, stack.sandbox.serverCaPem, decision, psuId);
      const query = new URLSearchParams(callbackQuery(location)).toString();
      return app.inject({ method: 'GET', url: `/callback?${query}`, remoteAddress: '192.0.2.10' });
    },
    async stop() {
      await app.close();
      await stack.stop();
    },
  };
}
