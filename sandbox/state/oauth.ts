import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SandboxStateError } from './errors';
import type { OAuthSnapshot } from './snapshot';
import type { IssuedTokens, SandboxClock, TokenInfo } from './types';

/** Authorisation codes live five minutes on the sandbox clock. */
export const AUTHORISATION_CODE_TTL_MS = 5 * 60_000;
/** Expired tokens are remembered this long so they answer TOKEN_EXPIRED rather than TOKEN_INVALID. */
const EXPIRED_MEMORY_MS = 86_400_000;
const PRUNE_INTERVAL_MS = 60_000;

export interface CodeRecord {
  clientId: string;
  consentId: string;
  psuId: string;
  redirectUri: string;
  codeChallenge: string;
  expiresAt: number;
  used: boolean;
  /** Token hashes minted from this code: revoked if the code is replayed (RFC 6749 §4.1.2). */
  issued: string[];
}

interface RefreshRecord {
  clientId: string;
  consentId: string;
  psuId: string;
  expiresAt: number;
  /** The access token issued alongside, so a replayed code can revoke the pair. */
  accessHash: string;
}

export interface OAuthPolicy {
  clock: SandboxClock;
  accessTokenTtlMs(): number;
  refreshTokenTtlMs(): number;
  /** Tokens are only issued or refreshed for a consent in status valid. */
  consentIsValid(consentId: string): boolean;
}

/** Opaque random secrets, stored only as SHA-256 hashes so a state dump does not leak them. */
function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function hashOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
/** A base64url SHA-256 digest without padding: exactly 43 characters. */
/** What the authorisation page asks a code for. */
export type AuthorisationCodeRequest = Pick<
  CodeRecord,
  'clientId' | 'consentId' | 'psuId' | 'redirectUri' | 'codeChallenge'
> & {
  codeChallengeMethod: 'S256';
};

export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** The Enfuce card issuers' OAuth server: client-credentials tokens, codes with PKCE, rotating refresh tokens. */
export class OAuthStore {
  private readonly accessTokens = new Map<string, TokenInfo>();
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly codes = new Map<string, CodeRecord>();
  private lastPrune = -Infinity;

  constructor(private readonly policy: OAuthPolicy) {}

  issueClientToken(clientId: string): IssuedTokens {
    if (!clientId) throw new SandboxStateError('invalid_client', 'client_id is missing');
    const now = this.now();
    this.prune(now);
    const token = newSecret();
    const ttl = this.policy.accessTokenTtlMs();
    this.accessTokens.set(hashOf(token), { kind: 'client', clientId, expiresAt: now + ttl });
    return { access_token: token, token_type: 'Bearer', expires_in: Math.floor(ttl / 1000) };
  }

  issueAuthorisationCode(input: AuthorisationCodeRequest): string {
    if (input.codeChallengeMethod !== 'S256') {
      throw new SandboxStateError('invalid_request', 'code_challenge_method must be S256', 'code_challenge_method');
    }
    if (!S256_CHALLENGE.test(input.codeChallenge)) {
      throw new SandboxStateError(
        'invalid_request',
        'code_challenge must be a base64url SHA-256 (43 characters)',
        'code_challenge',
      );
    }
    if (!input.redirectUri) throw new SandboxStateError('invalid_request', 'redirect_uri is missing', 'redirect_uri');
    if (!this.policy.consentIsValid(input.consentId)) {
      throw new SandboxStateError('invalid_request', 'the consent is not authorised');
    }
    const now = this.now();
    this.prune(now);
    const code = newSecret();
    this.codes.set(hashOf(code), {
      clientId: input.clientId,
      consentId: input.consentId,
      psuId: input.psuId,
      redirectUri: input.redirectUri,
      codeChallenge: input.codeChallenge,
      expiresAt: now + AUTHORISATION_CODE_TTL_MS,
      used: false,
      issued: [],
    });
    return code;
  }

  redeemAuthorisationCode(input: {
    clientId: string;
    code: string;
    codeVerifier: string;
    redirectUri: string;
  }): IssuedTokens {
    const record = this.codes.get(hashOf(input.code));
    if (!record) throw new SandboxStateError('invalid_grant', 'authorization code is unknown');
    if (record.used) {
      for (const hash of record.issued) {
        this.accessTokens.delete(hash);
        this.refreshTokens.delete(hash);
      }
      throw new SandboxStateError('invalid_grant', 'authorization code was already used');
    }
    // Single use even when the exchange fails: a code cannot be retried against guessed verifiers.
    record.used = true;
    if (this.now() >= record.expiresAt) throw new SandboxStateError('invalid_grant', 'authorization code has expired');
    if (record.clientId !== input.clientId) {
      throw new SandboxStateError('invalid_grant', 'authorization code was issued to another client');
    }
    if (record.redirectUri !== input.redirectUri) {
      throw new SandboxStateError('invalid_grant', 'redirect_uri does not match the authorization request');
    }
    if (!PKCE_VERIFIER.test(input.codeVerifier)) {
      throw new SandboxStateError('invalid_grant', 'code_verifier must be 43-128 characters of [A-Za-z0-9-._~]');
    }
    if (!sameString(s256(input.codeVerifier), record.codeChallenge)) {
      throw new SandboxStateError(
        'invalid_grant',
        'PKCE verification failed: code_verifier does not match code_challenge',
      );
    }
    if (!this.policy.consentIsValid(record.consentId)) {
      throw new SandboxStateError('invalid_grant', 'the consent is no longer valid');
    }
    const { tokens, accessHash, refreshHash } = this.issuePsuTokens(record.clientId, record.consentId, record.psuId);
    record.issued.push(accessHash, refreshHash);
    return tokens;
  }

  refresh(input: { clientId: string; refreshToken: string }): IssuedTokens {
    const hash = hashOf(input.refreshToken);
    const record = this.refreshTokens.get(hash);
    if (!record) throw new SandboxStateError('invalid_grant', 'refresh token is unknown or was already used');
    if (record.clientId !== input.clientId) {
      throw new SandboxStateError('invalid_grant', 'refresh token was issued to another client');
    }
    if (this.now() >= record.expiresAt) {
      this.refreshTokens.delete(hash);
      throw new SandboxStateError('invalid_grant', 'refresh token has expired');
    }
    if (!this.policy.consentIsValid(record.consentId)) {
      this.refreshTokens.delete(hash);
      throw new SandboxStateError('invalid_grant', 'the consent is no longer valid');
    }
    // Rotation: the presented refresh token stops working the moment a new one is issued.
    this.refreshTokens.delete(hash);
    return this.issuePsuTokens(record.clientId, record.consentId, record.psuId).tokens;
  }

  /**
   * Ends every live client-credentials token (tests of the TPP's token cache): `revoke` forgets
   * them (TOKEN_INVALID), `expire` makes them expire now (TOKEN_EXPIRED, as after clock skew).
   * PSU tokens are untouched. Answers how many tokens were affected.
   */
  endClientTokens(how: 'revoke' | 'expire'): number {
    const now = this.now();
    let n = 0;
    for (const [hash, info] of this.accessTokens) {
      if (info.kind !== 'client' || info.expiresAt <= now) continue;
      n++;
      if (how === 'revoke') this.accessTokens.delete(hash);
      else this.accessTokens.set(hash, { ...info, expiresAt: now });
    }
    return n;
  }

  inspectAccessToken(token: string): TokenInfo | { error: 'TOKEN_INVALID' | 'TOKEN_EXPIRED' } {
    if (!token) return { error: 'TOKEN_INVALID' };
    const info = this.accessTokens.get(hashOf(token));
    if (!info) return { error: 'TOKEN_INVALID' };
    if (this.now() >= info.expiresAt) return { error: 'TOKEN_EXPIRED' };
    return { ...info };
  }

  /** Every live secret, by hash (the store never had the secrets themselves). */
  snapshot(): OAuthSnapshot {
    return {
      accessTokens: [...this.accessTokens].map(([hash, info]) => ({ hash, ...info })),
      refreshTokens: [...this.refreshTokens].map(([hash, record]) => ({ hash, ...record })),
      codes: [...this.codes].map(([hash, record]) => ({ hash, ...record, issued: [...record.issued] })),
    };
  }

  /** Replaces everything with `snapshot`: tokens and codes issued before keep working exactly as before. */
  restore(snapshot: OAuthSnapshot): void {
    this.accessTokens.clear();
    this.refreshTokens.clear();
    this.codes.clear();
    this.lastPrune = -Infinity;
    for (const { hash, ...info } of snapshot.accessTokens) this.accessTokens.set(hash, info);
    for (const { hash, ...record } of snapshot.refreshTokens) this.refreshTokens.set(hash, record);
    for (const { hash, ...record } of snapshot.codes) this.codes.set(hash, { ...record, issued: [...record.issued] });
  }

  private issuePsuTokens(clientId: string, consentId: string, psuId: string) {
    const now = this.now();
    this.prune(now);
    const accessTtl = this.policy.accessTokenTtlMs();
    const refreshTtl = this.policy.refreshTokenTtlMs();
    const access = newSecret();
    const refresh = newSecret();
    const accessHash = hashOf(access);
    const refreshHash = hashOf(refresh);
    this.accessTokens.set(accessHash, { kind: 'psu', clientId, consentId, psuId, expiresAt: now + accessTtl });
    this.refreshTokens.set(refreshHash, { clientId, consentId, psuId, expiresAt: now + refreshTtl, accessHash });
    const tokens: IssuedTokens = {
      access_token: access,
      token_type: 'Bearer',
      expires_in: Math.floor(accessTtl / 1000),
      refresh_token: refresh,
      refresh_expires_in: Math.floor(refreshTtl / 1000),
      scope: `AIS:${consentId}`,
    };
    return { tokens, accessHash, refreshHash };
  }

  private now(): number {
    return this.policy.clock.now().getTime();
  }

  /** Forgets long-expired secrets so memory stays bounded; at most once a minute of clock time. */
  private prune(now: number): void {
    if (now - this.lastPrune < PRUNE_INTERVAL_MS && now >= this.lastPrune) return;
    this.lastPrune = now;
    for (const [hash, info] of this.accessTokens)
      if (info.expiresAt + EXPIRED_MEMORY_MS < now) this.accessTokens.delete(hash);
    for (const [hash, record] of this.refreshTokens) if (record.expiresAt < now) this.refreshTokens.delete(hash);
    for (const [hash, record] of this.codes) if (record.expiresAt + EXPIRED_MEMORY_MS < now) this.codes.delete(hash);
  }
}
