import type { Repositories } from './index';

/**
 * Repositories usable before their backend is: every call waits for `ready` (PostgreSQL's pool
 * opened and migrated), so the composition root can stay synchronous. If opening fails, every
 * call (readiness included) rejects with that error.
 */
export function deferredRepositories(ready: Promise<Repositories>): Repositories {
  // Each call reports the failure; none waiting must not make it an unhandled rejection.
  ready.catch(() => {});
  const group = <K extends Exclude<keyof Repositories, 'ping'>>(name: K): Repositories[K] =>
    new Proxy({} as Repositories[K], {
      get(_target, method: string) {
        return async (...args: unknown[]) => {
          const repository = (await ready)[name] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
          return repository[method](...args);
        };
      },
    });
  return {
    connections: group('connections'),
    accounts: group('accounts'),
    apiKeys: group('apiKeys'),
    idempotency: group('idempotency'),
    webhooks: group('webhooks'),
    async ping() {
      await (await ready).ping();
    },
  };
}
