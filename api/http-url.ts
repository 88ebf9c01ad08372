import { z } from 'zod';

export const HOST_NAME = '[A-Za-z][A-Za-z0-9-]*(\\.[A-Za-z][A-Za-z0-9-]*)*';
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
export const IPV4 = `${OCTET}(\\.${OCTET}){3}`;
export const PORT = '[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]';

/**
 * An absolute http(s) URL. The pattern says so in the OpenAPI document (a host name that starts
 * with a letter or an IPv4 address, an optional port, a path, query or fragment of
 * visible ASCII); the refinement keeps what URL parses.
 */
export const httpUrl = z
  .string()
  .max(2048)
  .regex(new RegExp(`^https?://(${HOST_NAME}|${IPV4})(:(${PORT}))?([/?#][!-~]*)?$`), {
    message: 'must be an absolute http(s) URL',
    abort: true,
  })
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an absolute http(s) URL');
