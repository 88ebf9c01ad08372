import { WorkflowNotFoundError } from '@temporalio/client';
import { ConnectionInputError, ConnectionUpstreamError } from '../services/connections';
import { TemporalWaitError } from '../services/temporal-deadline';
import type { FieldError } from './validation';

export interface MappedError {
  status: number;
  message: string;
  errors?: FieldError[];
}

const GRPC_NOT_FOUND = 5;
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

/** Errors from the connection services and Temporal that are an answer, not a fault. */
export function mapServiceError(error: unknown): MappedError | undefined {
  if (error instanceof ConnectionUpstreamError) return { status: 502, message: error.message };
  if (error instanceof TemporalWaitError) return { status: error.status, message: error.message };
  if (error instanceof ConnectionInputError) {
    return { status: error.status, message: error.message, errors: [{ field: error.field, message: error.message }] };
  }
  if (error instanceof WorkflowNotFoundError || (error instanceof Error && error.name === 'WorkflowNotFoundError')) {
    return { status: 404, message: 'no such connection' };
  }
  const code = grpcCode(error);
  if (code === GRPC_NOT_FOUND) return { status: 404, message: 'no such connection' };
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED)
    return { status: 503, message: 'the workflow service is unavailable; retry later' };
  return undefined;
}

function grpcCode(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'number' && (current.name === 'ServiceError' || 'details' in current)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
