import { WorkflowNotFoundError } from '@temporalio/client';
import { ConnectionInputError, ConnectionUpstreamError } from '../services/connections';
import { TemporalWaitError } from '../services/temporal-deadline';
import { isGrpcNotFound, isTemporalUnavailable, TEMPORAL_UNAVAILABLE_MESSAGE } from '../services/temporal-errors';
import type { FieldError } from './validation';

export interface MappedError {
  status: number;
  message: string;
  errors?: FieldError[];
}

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
  if (isGrpcNotFound(error)) return { status: 404, message: 'no such connection' };
  if (isTemporalUnavailable(error)) return { status: 503, message: TEMPORAL_UNAVAILABLE_MESSAGE };
  return undefined;
}
