import type { Repositories } from './index';

type Methods = Record<string, (...args: unknown[]) => Promise<unknown>>;

/**
 * Repositories usable before their backend is: every call waits for `ready` (PostgreSQL's pool
 * opened and migrated), so the composition root can stay synchronous. If opening fails, every
 * call (readiness included) rejects with that error.
 */
export function deferredRepositories(ready: Promise<Repositories>): Repositories {
  // Each call reports the failure; none waiting must not make it an unhandled rejection.
  ready.catch(() => {});
  const groups = new Map<string, unknown>();
  const group = (name: string) =>
    new Proxy(
      {},
      {
        get(_target, method: string) {
          return async (...args: unknown[]) => {
            const repositories = (await ready) as unknown as Record<string, Methods>;
            return repositories[name][method](...args);
          };
        },
      },
    );
  return new Proxy({} as Repositories, {
    get(_target, name: string) {
      if (name === 'ping') return async () => (await ready).ping();
      // Not a thenable: `await repositories` must not wait for a `then` group.
      if (name === 'then') return undefined;
      if (!groups.has(name)) groups.set(name, group(name));
      return groups.get(name);
    },
  });
}
