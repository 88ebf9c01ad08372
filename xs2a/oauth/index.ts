export { createPkcePair, codeChallengeFor, createState, hashState, type PkcePair } from './pkce';
export { buildAuthorisationUrl, type AuthorisationUrlInput } from './authorisation-url';
export {
  TokenClient,
  tokenNeedsRefresh,
  tokenResponseSchema,
  type AuthorizationCodeGrant,
  type TokenCallOptions,
} from './token-client';
