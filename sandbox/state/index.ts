export * from './types';
export { BankState, DEFAULT_SETTINGS, MAX_CONSENT_DAYS, SETTLEMENT_DELAY_MS } from './bank-state';
export { SandboxStateError, sandboxErrorStatus } from './errors';
export { createSandboxClock } from './clock';
export { AUTHORISATION_CODE_TTL_MS } from './oauth';
