import { join } from 'node:path';
import { parseEnv, type Env } from '../config/env';
import { localSecret } from '../scripts/local-secrets';
import { generateKeySpec } from '../secrets/token-cipher';
import { EncryptionCodec } from './payload-codec';

export interface PayloadCodecFromEnvOptions {
  /**
   * Local runs only (NODE_ENV ≠ production): without TEMPORAL_PAYLOAD_KEYS a key is
   * generated once into <varDir>/secrets/temporal-payload-keys (mode 0600) and reused,
   * so the worker, the API and a restart all read the same histories.
   */
  varDir?: string;
}

/** The path of the generated local key file under a var directory. */
export function localPayloadKeyFile(varDir: string): string {
  return join(varDir, 'secrets', 'temporal-payload-keys');
}

/**
 * The codec from TEMPORAL_PAYLOAD_KEYS / TEMPORAL_PAYLOAD_ACTIVE_KEY_ID; production
 * requires them, local runs fall back to a generated key kept under varDir.
 */
export function payloadCodecFromEnv(
  env: Pick<Env, 'NODE_ENV' | 'TEMPORAL_PAYLOAD_KEYS' | 'TEMPORAL_PAYLOAD_ACTIVE_KEY_ID'>,
  options: PayloadCodecFromEnvOptions = {},
): EncryptionCodec {
  if (env.TEMPORAL_PAYLOAD_KEYS)
    return new EncryptionCodec(env.TEMPORAL_PAYLOAD_KEYS, env.TEMPORAL_PAYLOAD_ACTIVE_KEY_ID);
  if (env.NODE_ENV === 'production') {
    throw new Error('TEMPORAL_PAYLOAD_KEYS is required in production (workflow payloads are encrypted)');
  }
  if (!options.varDir) {
    throw new Error('TEMPORAL_PAYLOAD_KEYS is not set and no varDir was given for a generated local key');
  }
  const spec = localSecret(localPayloadKeyFile(options.varDir), () => generateKeySpec('local1'));
  const keys = parseEnv({ TEMPORAL_PAYLOAD_KEYS: spec }).TEMPORAL_PAYLOAD_KEYS!;
  return new EncryptionCodec(keys);
}
