/**
 * Thrown by BankState on a request the bank refuses. `code` is a Berlin Group code
 * (CONSENT_UNKNOWN, RESOURCE_UNKNOWN, ...) or, from the OAuth methods, an RFC 6749 error
 * (invalid_grant, invalid_client, invalid_request). `path` names the offending field where one does.
 * Messages never contain tokens, codes or verifiers.
 */
export class SandboxStateError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'SandboxStateError';
  }
}

/** The HTTP status a bank answers with for each code BankState throws. */
const STATUS_BY_CODE: Record<string, number> = {
  FORMAT_ERROR: 400,
  PARAMETER_NOT_SUPPORTED: 400,
  PSU_CREDENTIALS_INVALID: 401,
  CONSENT_INVALID: 401,
  CONSENT_EXPIRED: 401,
  CONSENT_UNKNOWN: 403,
  RESOURCE_UNKNOWN: 404,
  STATUS_INVALID: 409,
  /** Berlin Group: the payment can no longer be cancelled (DELETE after the PSU's authorisation). */
  CANCELLATION_INVALID: 405,
  invalid_request: 400,
  invalid_grant: 400,
  unsupported_grant_type: 400,
  invalid_client: 401,
};

export function sandboxErrorStatus(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}
