export { createBankAgent, createTlsAgent, handshakeStats, tlsAlertFor } from './agent';
export type { AgentTlsOptions } from './agent';
export type { BankAgentOptions, HandshakeStats } from './agent';
export { HttpXs2aTransport } from './http-client';
export type { HttpXs2aTransportOptions } from './http-client';
export { classifyTransportError } from './transport-errors';
export { resolveUrl, fieldPath } from './url';
export type * from './types';
