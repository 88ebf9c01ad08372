/** The Idempotency-Key replay store: one record per (API key, Idempotency-Key). */
export interface IdempotencyRecord {
  requestHash: string;
  /** null while the first request is still in flight. */
  statusCode: number | null;
  response: unknown;
  createdAt: number;
}

export interface IdempotencyRepository {
  /** Inserts an unanswered reservation; false when one exists already. */
  reserve(apiKeyId: string, key: string, requestHash: string, at: number): Promise<boolean>;
  find(apiKeyId: string, key: string): Promise<IdempotencyRecord | undefined>;
  complete(apiKeyId: string, key: string, statusCode: number, response: unknown): Promise<void>;
  /** Deletes the reservation unless it was answered. */
  release(apiKeyId: string, key: string): Promise<void>;
  /** Takes over an unanswered reservation created before `createdBefore`, restamping it `at`; false when none. */
  takeOver(apiKeyId: string, key: string, createdBefore: number, at: number): Promise<boolean>;
}
