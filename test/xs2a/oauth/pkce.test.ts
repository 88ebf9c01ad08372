import { describe, expect, it } from 'vitest';
import { codeChallengeFor, createPkcePair, createState, hashState } from '../../../xs2a/oauth/pkce';

describe('PKCE (RFC 7636)', () => {
  it('matches the RFC 7636 Appendix B example', () => {
    // The verifier is the base64url of the 32 octets listed in Appendix B.
    const octets = [
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240,
      91, 88, 5, 88, 83, 132, 141, 121,
    ];
    const verifier = Buffer.from(octets).toString('base64url');
    expect(verifier).toBe('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk');
    expect(codeChallengeFor(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('creates a fresh S256 pair whose challenge matches its verifier', () => {
    const a = createPkcePair();
    const b = createPkcePair();
    expect(a.method).toBe('S256');
    expect(a.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(a.codeChallenge).toBe(codeChallengeFor(a.codeVerifier));
    expect(a.codeChallenge).toMatch(/^[A-Za-z0-9_-]{43}$/); // SHA-256, base64url, no padding
    expect(b.codeVerifier).not.toBe(a.codeVerifier);
  });

  it('refuses verifiers outside RFC 7636 without echoing them', () => {
    const tooShort = 'a'.repeat(42);
    expect(() => codeChallengeFor(tooShort)).toThrow(/43-128/);
    try {
      codeChallengeFor('secret value with spaces that is long enough to pass the length');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('secret value');
    }
    expect(() => codeChallengeFor('x'.repeat(129))).toThrow();
    expect(() => codeChallengeFor('x'.repeat(128))).not.toThrow();
  });
});

describe('OAuth state', () => {
  it('is 32 random bytes of base64url and never repeats', () => {
    const states = new Set(Array.from({ length: 200 }, () => createState()));
    expect(states.size).toBe(200);
    for (const s of states) expect(Buffer.from(s, 'base64url')).toHaveLength(32);
  });

  it('hashes to SHA-256 hex, stable and distinct per state', () => {
    expect(hashState('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const s = createState();
    expect(hashState(s)).toBe(hashState(s));
    expect(hashState(s)).not.toBe(hashState(createState()));
    expect(hashState(s)).not.toContain(s);
  });
});
