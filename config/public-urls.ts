import type { Env } from './env';

/** Where our API is reachable by a PSU's browser. */
export function publicBaseUrl(env: Pick<Env, 'PUBLIC_BASE_URL' | 'API_HOST' | 'API_PORT'>): string {
  return env.PUBLIC_BASE_URL ?? `http://${env.API_HOST}:${env.API_PORT}`;
}

/** Where banks send the PSU back: the API's /callback. */
export function publicCallbackUrl(env: Pick<Env, 'PUBLIC_BASE_URL' | 'API_HOST' | 'API_PORT'>): string {
  return `${publicBaseUrl(env)}/callback`;
}
