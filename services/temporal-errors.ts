/** gRPC status codes a Temporal client call fails with when the server is away or slow. */
const GRPC_UNAVAILABLE = 14;
export const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_NOT_FOUND = 5;

/** The gRPC status code somewhere in an error's cause chain (a Temporal client call's failure). */
export function grpcCode(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number' && (current.name === 'ServiceError' || 'details' in current)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isGrpcNotFound(error: unknown): boolean {
  return grpcCode(error) === GRPC_NOT_FOUND;
}

/** Temporal did not answer (down, unreachable, too slow): the caller may retry later. */
export function isTemporalUnavailable(error: unknown): boolean {
  const code = grpcCode(error);
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED) return true;
  // The client's connection itself failed (e.g. a lazy connect to a server that is down).
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.name === 'TransportError' || current.name === 'ConnectionError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The answer for a caller when Temporal is away: 503, retry later. */
export const TEMPORAL_UNAVAILABLE_MESSAGE = 'Temporal (the workflow service) is unavailable; retry later';
