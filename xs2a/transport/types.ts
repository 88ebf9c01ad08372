import type { ZodType } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Xs2aRequest<T = unknown> {
  method: HttpMethod;
  /** Relative to the profile's baseUrl ("/v1/accounts"), or absolute (a _links.next href, the token endpoint). */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** JSON body; serialised once, and those exact bytes are digested and sent. */
  json?: unknown;
  /** application/x-www-form-urlencoded body (token endpoint). */
  form?: Record<string, string>;
  /** Validates the 2xx JSON body; a mismatch is an Xs2aError 'invalid_response' naming the field. */
  schema?: ZodType<T>;
  /** Authorization: Bearer … */
  accessToken?: string;
  /** Consent-ID header. */
  consentId?: string;
  /** PSU-IP-Address: the PSU is present, so the read does not count against frequencyPerDay. */
  psuIpAddress?: string;
  /** Unattended AIS read to be counted against the consent's frequencyPerDay (ignored when psuIpAddress is set). */
  unattended?: { consentId: string; endpoint: string; frequencyPerDay: number };
  /** For logs, errors and metrics: "GET /v1/accounts/{id}/transactions". */
  operation: string;
  /** Default true: Digest, Signature, TPP-Signature-Certificate. */
  signed?: boolean;
  signal?: AbortSignal;
  /**
   * The X-Request-ID to send instead of a fresh one: a caller that stored it before sending can
   * resend that very request under the same id (a payment initiation's retry).
   */
  requestId?: string;
  /** For logs only: the caller's attempt number (a Temporal activity's attempt). */
  attempt?: number;
}

export interface Xs2aResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  data: T;
  /** The X-Request-ID we sent. */
  requestId: string;
}

export interface TransportStats {
  requests: number;
  /** New TLS sessions negotiated (keep-alive makes this far smaller than requests). */
  tlsHandshakes: number;
}

export interface Xs2aTransport {
  request<T>(req: Xs2aRequest<T>): Promise<Xs2aResponse<T>>;
  stats(): TransportStats;
  close(): Promise<void>;
}
