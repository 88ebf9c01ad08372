export * from './types';
export { BankState, DEFAULT_SETTINGS, MAX_CONSENT_DAYS, SETTLEMENT_DELAY_MS } from './bank-state';
export { SandboxStateError, sandboxErrorStatus } from './errors';
export { createSandboxClock } from './clock';
export { AUTHORISATION_CODE_TTL_MS, S256_CHALLENGE } from './oauth';
export {
  BANK_STATE_SNAPSHOT_VERSION,
  SnapshotFormatError,
  parseBankStateSnapshot,
  type AccessTokenSnapshot,
  type AuthorisationCodeSnapshot,
  type BankStateSnapshot,
  type EnrolmentSnapshot,
  type FrequencySnapshot,
  type OAuthSnapshot,
  type PaymentSnapshot,
  type RefreshTokenSnapshot,
} from './snapshot';
export {
  SANDBOX_STATE_FILE_VERSION,
  createDebouncedSaver,
  loadSandboxStateFile,
  moveAside,
  parseSandboxStateFile,
  writeSandboxStateFile,
  type DebouncedSaver,
  type LoadOutcome,
  type SandboxStateFile,
  type TppByResource,
} from './state-file';
export { NotifyingMap } from './notifying-map';
