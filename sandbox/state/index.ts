export * from './types';
export { BankState } from './bank-state';
export { SandboxStateError } from './errors';
export { createSandboxClock } from './clock';
