/** Kept for existing imports: everything lives in the contract now. */
export * from './contract';
