import type { TokenRow } from './rows';

/** The PSU's OAuth tokens per connection, as stored: encrypted (activities/connections/repository.ts encrypts). */
export interface TokenRepository {
  get(connectionId: string): Promise<TokenRow | undefined>;
  /** Inserts or replaces the connection's tokens. */
  put(row: TokenRow): Promise<void>;
  delete(connectionId: string): Promise<void>;
}
