import type { ConsentRow, NewConsentRow, NewScaSessionRow } from './rows';

/** A connection's consents at its bank, with their status history. */
export interface ConsentRepository {
  get(id: string): Promise<ConsentRow | undefined>;
  listByConnection(connectionId: string): Promise<ConsentRow[]>;
  /** A new consent and the SCA session the PSU authorises it in, in one transaction. */
  insertWithSession(consent: NewConsentRow, session: NewScaSessionRow): Promise<void>;
  /** A changed status is written with its history row (and endedAt/authorisedAt); the same status writes nothing. */
  setStatus(id: string, status: string, at: number): Promise<void>;
  /** The status history, oldest first. */
  statusHistory(id: string): Promise<{ status: string; at: number }[]>;
}
