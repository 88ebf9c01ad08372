/** Paths start with '/', so a trailing slash on the base would double it. */
export function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
