import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** Metadata of an encrypted payload, as in temporalio/samples-typescript `encryption`. */
export const METADATA_ENCODING_KEY = 'encoding';
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_ENCRYPTION_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** A payload that cannot be decrypted; the message names the key id, never key material. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

/**
 * AES-256-GCM PayloadCodec for everything the SDK hands to Temporal (inputs, results,
 * signals, queries, memos, failures' details). The whole Payload (metadata and data)
 * is protobuf-encoded and encrypted into data = iv ‖ ciphertext ‖ tag; the outer
 * metadata says `encoding: binary/encrypted` and `encryption-key-id: <kid>`.
 *
 * Rotation: new payloads use the active key; every listed key still decodes.
 * Payloads without our encoding pass through decode unchanged, so histories written
 * before encryption was switched on still replay.
 */
export class EncryptionCodec implements PayloadCodec {
  readonly activeKeyId: string;
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(keys: ReadonlyMap<string, Buffer>, activeKeyId?: string) {
    if (keys.size === 0) throw new Error('EncryptionCodec needs at least one key');
    for (const [id, key] of keys) {
      if (key.length !== 32) throw new Error(`payload key "${id}" must be 32 bytes`);
    }
    this.keys = new Map(keys);
    this.activeKeyId = activeKeyId ?? keys.keys().next().value!;
    if (!keys.has(this.activeKeyId)) throw new Error(`active payload key "${this.activeKeyId}" is not configured`);
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encodeOne(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  encodeOne(payload: Payload): Payload {
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return {
      metadata: {
        [METADATA_ENCODING_KEY]: utf8(ENCRYPTED_ENCODING),
        [METADATA_ENCRYPTION_KEY_ID]: utf8(this.activeKeyId),
      },
      data: new Uint8Array(Buffer.concat([iv, ciphertext, cipher.getAuthTag()])),
    };
  }

  decodeOne(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[METADATA_ENCRYPTION_KEY_ID]);
    if (!keyId) throw new PayloadDecryptionError(`an encrypted payload carries no ${METADATA_ENCRYPTION_KEY_ID}`);
    const key = this.keys.get(keyId);
    if (!key) {
      throw new PayloadDecryptionError(
        `no payload key "${keyId}" is configured in TEMPORAL_PAYLOAD_KEYS (rotated out too early?)`,
      );
    }
    const raw = Buffer.from(payload.data ?? new Uint8Array());
    if (raw.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`an encrypted payload under key "${keyId}" is truncated`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(`an encrypted payload failed authentication under key "${keyId}"`);
    }
    const inner = temporal.api.common.v1.Payload.decode(plain);
    return { metadata: inner.metadata, data: inner.data };
  }
}

/**
 * The data converter options for a codec, the same for all three users:
 * `new Client({ connection, dataConverter: dataConverterFor(codec) })`,
 * `Worker.create({ …, dataConverter: dataConverterFor(codec) })` and
 * `Worker.runReplayHistories({ workflowBundle, dataConverter: dataConverterFor(codec) }, histories)`.
 * Codecs run outside the workflow sandbox, so nothing of this is bundled.
 */
export function dataConverterFor(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec] };
}
