import { Xs2aError, type Xs2aErrorKind } from '../errors';

export interface ClassifiedTransportError {
  error: Xs2aError;
  kind: Xs2aErrorKind;
  /** The low-level code that decided it (for logs), e.g. "UND_ERR_HEADERS_TIMEOUT". */
  causeCode?: string;
}

interface ErrorContext {
  requestId: string;
  operation: string;
  aspsp: string;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

/** The bank's TLS stack refused the client certificate we presented (our QWAC). */
const OUR_CERTIFICATE_REFUSED =
  /ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)/;

/**
 * Our side refused the bank's server certificate: the CA bundle in the
 * credentials is wrong or someone is in the middle. Retrying will not help.
 */
const BANK_CERTIFICATE_REFUSED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Everything that ends a request without an HTTP response, as a typed error. */
export function classifyTransportError(
  err: unknown,
  context: ErrorContext,
  timeoutMs: number,
  /** A TLS alert the agent saw on the failed socket (tlsAlertFor), which undici's own error hides. */
  tlsAlert?: string,
): ClassifiedTransportError {
  const codes = [...(tlsAlert ? [tlsAlert] : []), ...errorCodes(err)];
  const where = `${context.aspsp} ${context.operation}`;
  const make = (kind: Xs2aErrorKind, message: string, causeCode?: string): ClassifiedTransportError => ({
    kind,
    causeCode,
    error: new Xs2aError(`${where}: ${message}`, { ...context, kind, cause: err }),
  });

  const timeout = codes.find((c) => TIMEOUT_CODES.has(c));
  if (timeout) {
    const phase = timeout === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect' : 'response';
    return make('timeout', `${phase} timed out (limit ${timeoutMs} ms, ${timeout})`, timeout);
  }
  const refusedOurs = codes.find((c) => OUR_CERTIFICATE_REFUSED.test(c));
  if (refusedOurs)
    return make('certificate', `the bank refused our TLS client certificate (${refusedOurs})`, refusedOurs);
  const refusedTheirs = codes.find((c) => BANK_CERTIFICATE_REFUSED.has(c));
  if (refusedTheirs) {
    return make(
      'configuration',
      `the bank's TLS certificate is not trusted by the configured CA bundle (${refusedTheirs})`,
      refusedTheirs,
    );
  }
  const code = codes[0] ?? 'unknown';
  return make('network', `connection failed (${code}${messageOf(err) ? `: ${messageOf(err)}` : ''})`, code);
}

/** Codes along the cause chain: undici wraps socket and TLS errors. */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    // OpenSSL alerts sometimes come only as text ("... alert bad certificate").
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string') {
      const alert = /alert ([a-z ]+?)(?:\s*[:)]|$)/i.exec(message);
      if (alert) codes.push(`ALERT_${alert[1].trim().toUpperCase().replace(/ /g, '_')}`);
    }
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

function messageOf(err: unknown): string | undefined {
  return err instanceof Error ? err.message : undefined;
}
