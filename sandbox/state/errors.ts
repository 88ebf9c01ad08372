/**
 * Thrown by BankState on a request the bank refuses. `code` is a Berlin Group code
 * (CONSENT_UNKNOWN, RESOURCE_UNKNOWN, ...) or, from the OAuth methods, an RFC 6749 error
 * (invalid_grant, invalid_client, invalid_request).
 */
export class SandboxStateError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxStateError';
  }
}
