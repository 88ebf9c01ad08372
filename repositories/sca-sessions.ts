import type { ScaSubjectType } from '../db/schema';
import type { NewScaSessionRow, ScaSessionRow } from './rows';

/**
 * SCA sessions (the `authorisations` table): a PSU's trip to the bank for a connection's consent
 * or a payment. Codes, verifiers and URLs are stored encrypted; the state only as a hash.
 */
export interface ScaSessionRepository {
  get(id: string): Promise<ScaSessionRow | undefined>;
  findByStateHash(stateHash: string): Promise<ScaSessionRow | undefined>;
  /** A connection's session goes in with its consent (consents.insertWithSession), a payment's with its initiation. */
  insert(session: NewScaSessionRow): Promise<void>;
  update(id: string, values: Partial<Omit<ScaSessionRow, 'id'>>): Promise<void>;
  /** Writes `values` only while the session is pending; false when it was not (any more). */
  closeIfPending(id: string, values: Partial<Omit<ScaSessionRow, 'id'>>): Promise<boolean>;
  /** Writes `values` to every pending session of the subject. */
  closePendingOf(
    subjectType: ScaSubjectType,
    subjectId: string,
    values: Partial<Omit<ScaSessionRow, 'id'>>,
  ): Promise<void>;
}
