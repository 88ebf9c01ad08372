import type { Env } from '../config/env';
import { TokenCipher } from '../secrets/token-cipher';

/** The token cipher: TOKEN_ENCRYPTION_KEYS (or the keys given), required by the API and the worker alike. */
export function cipherFor(
  env: Pick<Env, 'TOKEN_ENCRYPTION_KEYS' | 'TOKEN_ENCRYPTION_ACTIVE_KEY_ID'>,
  keys?: Map<string, Buffer>,
): TokenCipher {
  const chosen = keys ?? env.TOKEN_ENCRYPTION_KEYS;
  if (!chosen)
    throw new Error('TOKEN_ENCRYPTION_KEYS is required: tokens and authorisation codes are encrypted at rest');
  return new TokenCipher(chosen, env.TOKEN_ENCRYPTION_ACTIVE_KEY_ID);
}
