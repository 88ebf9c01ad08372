// The XS2A client library's public API. Each folder's index.ts decides what it exports.
export * from './certs';
export * from './signing';
export * from './transport';
export * from './errors';
export * from './limits';
export * from './oauth';
export * from './operations';
export * from './profiles';
export type { Xs2aLogger } from './logger';
