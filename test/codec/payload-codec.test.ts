import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { parseEnv } from '../../config/env';
import {
  dataConverterFor,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  METADATA_ENCRYPTION_KEY_ID,
  PayloadDecryptionError,
} from '../../temporal/payload-codec';
import { localPayloadKeyFile, payloadCodecFromEnv } from '../../temporal/payload-keys';
import { generateKeySpec } from '../../secrets/token-cipher';

const keyA = generateKeySpec('A');
const keyB = generateKeySpec('B');
const keysOf = (spec: string, active?: string) => {
  const env = parseEnv({ TEMPORAL_PAYLOAD_KEYS: spec, TEMPORAL_PAYLOAD_ACTIVE_KEY_ID: active });
  return new EncryptionCodec(env.TEMPORAL_PAYLOAD_KEYS!, env.TEMPORAL_PAYLOAD_ACTIVE_KEY_ID);
};
const str = (bytes?: Uint8Array | null) => Buffer.from(bytes ?? []).toString('utf8');
const SECRET = { iban: 'DK5000400440116243', note: 'plaintext-marker-7f3a' };

describe('EncryptionCodec', () => {
  it('round-trips a JSON payload and hides its plaintext', async () => {
    const codec = keysOf(keyA);
    const plain = defaultPayloadConverter.toPayload(SECRET);
    const [encoded] = await codec.encode([plain]);
    expect(str(encoded.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(str(encoded.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('A');
    expect(str(encoded.data)).not.toContain('plaintext-marker');
    expect(Object.keys(encoded.metadata ?? {}).sort()).toEqual(['encoding', 'encryption-key-id']);
    const [decoded] = await codec.decode([encoded]);
    expect(str(decoded.metadata?.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(SECRET);
  });

  it('encrypts with a fresh IV each time', async () => {
    const codec = keysOf(keyA);
    const plain = defaultPayloadConverter.toPayload('same');
    const [a, b] = await codec.encode([plain, plain]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  it('rotation: new payloads use the active key, payloads under the old key still decode', async () => {
    const before = keysOf(keyA);
    const [underA] = await before.encode([defaultPayloadConverter.toPayload(SECRET)]);
    const after = keysOf(`${keyA},${keyB}`, 'B');
    const [underB] = await after.encode([defaultPayloadConverter.toPayload(SECRET)]);
    expect(str(underB.metadata?.[METADATA_ENCRYPTION_KEY_ID])).toBe('B');
    const decoded = await after.decode([underA, underB]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([SECRET, SECRET]);
  });

  it('an unknown key id is a clear error naming the key id, never the key', async () => {
    const [underA] = await keysOf(keyA).encode([defaultPayloadConverter.toPayload(SECRET)]);
    const onlyB = keysOf(keyB);
    const error = await onlyB.decode([underA]).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect(error?.message).toMatch(/no payload key "A" is configured/);
    for (const spec of [keyA, keyB]) expect(error?.message).not.toContain(spec.split(':')[1]);
  });

  it('a tampered payload fails authentication and names only the key id', async () => {
    const codec = keysOf(keyA);
    const [encoded] = await codec.encode([defaultPayloadConverter.toPayload(SECRET)]);
    const data = Buffer.from(encoded.data!);
    data[20] ^= 1;
    await expect(codec.decode([{ ...encoded, data }])).rejects.toThrowError(/failed authentication under key "A"/);
  });

  it('payloads without our encoding pass through decode unchanged', async () => {
    const codec = keysOf(keyA);
    const plain: Payload = defaultPayloadConverter.toPayload(SECRET);
    const binaryNull: Payload = defaultPayloadConverter.toPayload(undefined);
    const bare: Payload = { data: new Uint8Array([1, 2, 3]) };
    const decoded = await codec.decode([plain, binaryNull, bare]);
    expect(decoded[0]).toBe(plain);
    expect(decoded[1]).toBe(binaryNull);
    expect(decoded[2]).toBe(bare);
  });

  it('dataConverterFor gives the options for Client, Worker and replay', () => {
    const codec = keysOf(keyA);
    expect(dataConverterFor(codec)).toEqual({ payloadCodecs: [codec] });
  });
});

describe('payload keys from the environment', () => {
  it('parses TEMPORAL_PAYLOAD_KEYS like TOKEN_ENCRYPTION_KEYS and checks the active id', () => {
    expect(() => parseEnv({ TEMPORAL_PAYLOAD_KEYS: 'A:c2hvcnQ=' })).toThrowError(
      /TEMPORAL_PAYLOAD_KEYS: key "A" must be 32 bytes/,
    );
    expect(() => parseEnv({ TEMPORAL_PAYLOAD_KEYS: keyA, TEMPORAL_PAYLOAD_ACTIVE_KEY_ID: 'B' })).toThrowError(
      /TEMPORAL_PAYLOAD_ACTIVE_KEY_ID: names no key listed in TEMPORAL_PAYLOAD_KEYS/,
    );
    const codec = payloadCodecFromEnv(
      parseEnv({ TEMPORAL_PAYLOAD_KEYS: `${keyA},${keyB}`, TEMPORAL_PAYLOAD_ACTIVE_KEY_ID: 'B' }),
    );
    expect(codec.activeKeyId).toBe('B');
    expect(codec.keyIds).toEqual(['A', 'B']);
  });

  it('production requires the keys; local runs generate one key once and reuse it', async () => {
    expect(() => payloadCodecFromEnv({ NODE_ENV: 'production' }, { varDir: '/nonexistent' })).toThrowError(
      /TEMPORAL_PAYLOAD_KEYS is required in production/,
    );
    const varDir = mkdtempSync(join(tmpdir(), 'payload-keys-'));
    try {
      const first = payloadCodecFromEnv({ NODE_ENV: 'development' }, { varDir });
      expect(statSync(localPayloadKeyFile(varDir)).mode & 0o777).toBe(0o600);
      const second = payloadCodecFromEnv({ NODE_ENV: 'development' }, { varDir });
      const [encoded] = await first.encode([defaultPayloadConverter.toPayload(SECRET)]);
      const [decoded] = await second.decode([encoded]);
      expect(defaultPayloadConverter.fromPayload(decoded)).toEqual(SECRET);
    } finally {
      rmSync(varDir, { recursive: true, force: true });
    }
  });
});
