import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A stored secret we cannot read: our configuration (TOKEN_ENCRYPTION_KEYS), never the customer's fault. */
export class TokenDecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenDecryptError';
  }
}

/**
 * AES-256-GCM for secrets at rest (tokens, PKCE verifiers, authorisation codes).
 * Each value is base64(iv ‖ tag ‖ ciphertext); the key id is stored beside it so
 * that old rows stay readable after the active key is rotated.
 */
export class TokenCipher {
  private readonly keys: Map<string, Buffer>;
  readonly activeKeyId: string;

  constructor(keys: Map<string, Buffer>, activeKeyId?: string) {
    if (keys.size === 0) throw new Error('TokenCipher needs at least one key');
    for (const [id, key] of keys) {
      if (key.length !== 32) throw new Error(`encryption key "${id}" must be 32 bytes`);
    }
    this.keys = keys;
    this.activeKeyId = activeKeyId ?? keys.keys().next().value!;
    if (!keys.has(this.activeKeyId)) throw new Error(`active encryption key "${this.activeKeyId}" is not configured`);
  }

  /** `aad` binds a ciphertext to its row (e.g. the connection id), so it cannot be moved to another. */
  encrypt(plaintext: string, aad: string): { keyId: string; value: string } {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv);
    cipher.setAAD(Buffer.from(aad));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.activeKeyId, value: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64') };
  }

  decrypt(keyId: string, value: string, aad: string): string {
    const key = this.keys.get(keyId);
    if (!key)
      throw new TokenDecryptError(
        `no encryption key "${keyId}" is configured in TOKEN_ENCRYPTION_KEYS (rotated out too early, or API and worker differ?)`,
      );
    const raw = Buffer.from(value, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenDecryptError(
        `a stored secret failed authentication under key "${keyId}" (TOKEN_ENCRYPTION_KEYS differ between processes, tampered, or bound to another row)`,
      );
    }
  }
}

/** A random 32-byte key for development, as "<id>:<base64>". */
export function generateKeySpec(id = 'dev1'): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
