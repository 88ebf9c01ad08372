/** API keys as the REST API sees them: looked up by the SHA-256 of the presented key. */
export interface StoredApiKey {
  id: string;
  name: string;
  customerIds: string[] | null;
  scopes: string[] | null;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface NewApiKey {
  id: string;
  name: string;
  keyHash: string;
  customerIds: string[] | null;
  scopes: string[] | null;
}

export interface ApiKeyRepository {
  findByHash(keyHash: string): Promise<StoredApiKey | undefined>;
  /** Records a use of the key (the caller decides how often). */
  touchLastUsed(id: string, at: number): Promise<void>;
  /** Refused (throws) when a key with the same hash exists. */
  create(key: NewApiKey): Promise<void>;
  /** false: no such key. */
  revoke(id: string, at: number): Promise<boolean>;
  list(): Promise<StoredApiKey[]>;
}
