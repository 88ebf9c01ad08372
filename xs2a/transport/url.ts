import type { Xs2aRequest } from './types';

/**
 * Where a request goes. Paths are relative to the profile's baseUrl
 * ("/v1/accounts"). A _links href may instead be absolute ("https://…") or
 * relative to the host ("/psd2/0400/v1/accounts?page=2" when the baseUrl is
 * "https://bank/psd2/0400"); those are used as they are, so a next-page link is
 * never prefixed twice.
 */
export function resolveUrl(baseUrl: string, path: string, query?: Xs2aRequest['query']): string {
  const base = new URL(baseUrl);
  let url: URL;
  if (/^https?:\/\//i.test(path)) {
    url = new URL(path);
  } else {
    const basePath = base.pathname.replace(/\/+$/, '');
    const relative = path.startsWith('/') ? path : `/${path}`;
    const hostRelative =
      basePath !== '' &&
      (relative === basePath || relative.startsWith(`${basePath}/`) || relative.startsWith(`${basePath}?`));
    url = new URL(hostRelative ? relative : `${basePath}${relative}`, base.origin);
  }
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.toString();
}

/** A zod issue path as a JSON path: ["accounts", 0, "iban"] → "accounts[0].iban". */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}
