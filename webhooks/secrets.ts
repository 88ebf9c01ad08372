import { ApplicationFailure } from '@temporalio/common';
import type { WebhookEndpointRow } from '../repositories';
import type { TokenCipher } from '../secrets/token-cipher';

/** Secrets are encrypted with the token cipher, bound to their endpoint (a ciphertext moved to another row fails). */
const aad = (endpointId: string) => `webhook-endpoint:${endpointId}:secret`;

export function encryptWebhookSecret(cipher: TokenCipher, endpointId: string, secret: string) {
  return cipher.encrypt(secret, aad(endpointId));
}

/** The secrets that sign now: the current one, and a rotated-out one until its grace period ends. */
export function endpointSecrets(deps: { cipher?: TokenCipher }, endpoint: WebhookEndpointRow, now: number): string[] {
  if (!deps.cipher)
    throw ApplicationFailure.nonRetryable('the worker has no token cipher to read webhook secrets with', 'Config');
  const cipher = deps.cipher;
  const secrets = [cipher.decrypt(endpoint.keyId, endpoint.secretEnc, aad(endpoint.id))];
  if (
    endpoint.previousSecretEnc &&
    endpoint.previousKeyId &&
    endpoint.previousExpiresAt !== null &&
    endpoint.previousExpiresAt > now
  )
    secrets.push(cipher.decrypt(endpoint.previousKeyId, endpoint.previousSecretEnc, aad(endpoint.id)));
  return secrets;
}
