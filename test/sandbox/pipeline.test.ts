import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:tls';
import { startSandboxBanks, type SandboxBanks } from '../../sandbox';
import { generateSandboxCertificates } from '../../xs2a/certs';
import type { PemPair } from '../../xs2a/certs/types';
import { buildSigningString, formatSignatureHeader, signString } from '../../xs2a/signing';
import { testLogger } from '../helpers/logger';
import { PSU_IP, TPP_REDIRECT, admin, call, codeOf, makeTpp, type TestTpp } from './helpers';
import { becCreateConsent, becEnrol, becValidConsent, consentBody } from './flows';

/** Every stage of the request pipeline, broken once, answered with the right status and code. */

let sandbox: SandboxBanks;
let tpp: TestTpp;
let bec: string;
let tppCa: PemPair;
const extra: TestTpp[] = [];

beforeAll(async () => {
  tppCa = generateSandboxCertificates({ organizationName: 'Sandbox TPP CA owner' }).ca;
  const t0 = performance.now();
  sandbox = await startSandboxBanks({ tppCa, logger: testLogger() });
  console.log(`[sandbox] started in ${Math.round(performance.now() - t0)} ms`);
  tpp = makeTpp(sandbox.serverCaPem, { ca: tppCa, organizationName: 'Pipeline TPP' });
  bec = sandbox.banks.bec.baseUrl;
  await becEnrol(sandbox, tpp);
});

afterAll(async () => {
  await Promise.all([tpp, ...extra].map((t) => t?.agent.close()));
  await sandbox?.stop();
});

const ca = () => tppCa;
const accounts = () => `${bec}/v1/accounts`;

describe('client certificate', () => {
  it('no client certificate → 401 CERTIFICATE_MISSING', async () => {
    const anon = makeTpp(sandbox.serverCaPem, { ca: ca() }, null);
    extra.push(anon);
    const res = await call(anon, accounts());
    expect([res.status, codeOf(res)]).toEqual([401, 'CERTIFICATE_MISSING']);
  });

  it('a QWAC from another CA → 401 CERTIFICATE_INVALID', async () => {
    const stranger = makeTpp(sandbox.serverCaPem);
    extra.push(stranger);
    const res = await call(stranger, accounts());
    expect([res.status, codeOf(res)]).toEqual([401, 'CERTIFICATE_INVALID']);
    expect(res.body.tppMessages[0].text).toMatch(/does not chain/);
  });

  it('a QWAC without PSP_AI → 401 ROLE_INVALID for AIS', async () => {
    const piOnly = makeTpp(sandbox.serverCaPem, { ca: ca(), roles: ['PSP_PI'] });
    extra.push(piOnly);
    const res = await call(piOnly, accounts(), { headers: { 'Consent-ID': 'x' } });
    expect([res.status, codeOf(res)]).toEqual([401, 'ROLE_INVALID']);
  });

  it('an expired QWAC → 401 CERTIFICATE_EXPIRED', async () => {
    const old = makeTpp(sandbox.serverCaPem, {
      ca: ca(),
      notBefore: new Date(Date.now() - 40 * 86_400_000),
      validDays: 10,
    });
    extra.push(old);
    const res = await call(old, accounts());
    expect([res.status, codeOf(res)]).toEqual([401, 'CERTIFICATE_EXPIRED']);
  });
});

describe('X-Request-ID', () => {
  it('missing → 400 FORMAT_ERROR', async () => {
    const res = await call(tpp, accounts(), { requestId: null, sign: null, headers: { 'Consent-ID': 'x' } });
    expect([res.status, codeOf(res), res.body.tppMessages[0].path]).toEqual([400, 'FORMAT_ERROR', 'X-Request-ID']);
  });
  it('not a UUID → 400 FORMAT_ERROR', async () => {
    const res = await call(tpp, accounts(), { requestId: 'req-1', headers: { 'Consent-ID': 'x' } });
    expect([res.status, codeOf(res)]).toEqual([400, 'FORMAT_ERROR']);
    expect(res.body.tppMessages[0].text).toMatch(/not a UUID/);
  });
});

describe('signature', () => {
  const withoutHeader = (name: string) => (h: Record<string, string>, body: string | undefined) => {
    const headers = Object.fromEntries(Object.entries(h).filter(([k]) => k.toLowerCase() !== name.toLowerCase()));
    return { headers, body };
  };

  it('missing Digest → 401 SIGNATURE_MISSING', async () => {
    const res = await call(tpp, accounts(), { headers: { 'Consent-ID': 'x' }, after: withoutHeader('Digest') });
    expect([res.status, codeOf(res)]).toEqual([401, 'SIGNATURE_MISSING']);
    expect(res.body.tppMessages[0].text).toMatch(/DIGEST_MISSING/);
  });

  it('wrong Digest → 401 SIGNATURE_INVALID', async () => {
    const post = await call(tpp, `${bec}/v1/consents`, {
      json: consentBody(sandbox),
      headers: { 'PSU-IP-Address': PSU_IP, 'TPP-Redirect-URI': TPP_REDIRECT },
      after: (h, body) => ({ headers: { ...h, Digest: 'SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' }, body }),
    });
    expect([post.status, codeOf(post)]).toEqual([401, 'SIGNATURE_INVALID']);
    expect(post.body.tppMessages[0].text).toMatch(/DIGEST_MISMATCH/);
  });

  it('missing Signature → 401 SIGNATURE_MISSING', async () => {
    const res = await call(tpp, accounts(), { headers: { 'Consent-ID': 'x' }, after: withoutHeader('Signature') });
    expect([res.status, codeOf(res)]).toEqual([401, 'SIGNATURE_MISSING']);
  });

  it('a signature over a header outside the allowed five → 401 SIGNATURE_INVALID', async () => {
    const res = await call(tpp, accounts(), {
      headers: { 'Consent-ID': 'x', Date: new Date().toUTCString() },
      after: (h, body) => {
        const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
        const names = ['digest', 'x-request-id', 'date'];
        const signingString = buildSigningString(names, { method: 'GET', path: '/', headers: lower });
        const signature = signString(signingString, tpp.certs.qseal.privateKeyPem, 'rsa-sha256');
        const keyId = /keyId="([^"]+)"/.exec(h.Signature)![1];
        return {
          headers: {
            ...h,
            Signature: formatSignatureHeader({ keyId, algorithm: 'rsa-sha256', headers: names, signature }),
          },
          body,
        };
      },
    });
    expect([res.status, codeOf(res)]).toEqual([401, 'SIGNATURE_INVALID']);
    expect(res.body.tppMessages[0].text).toMatch(/SIGNED_HEADER_NOT_ALLOWED/);
  });

  it('a tampered body → 401 SIGNATURE_INVALID', async () => {
    const res = await call(tpp, `${bec}/v1/consents`, {
      json: consentBody(sandbox),
      headers: { 'PSU-IP-Address': PSU_IP, 'TPP-Redirect-URI': TPP_REDIRECT },
      after: (h, body) => ({ headers: h, body: body!.replace('"frequencyPerDay":4', '"frequencyPerDay":9') }),
    });
    expect([res.status, codeOf(res)]).toEqual([401, 'SIGNATURE_INVALID']);
    expect(res.body.tppMessages[0].text).toMatch(/DIGEST_MISMATCH/);
  });

  it('a keyId naming another serial → 401 SIGNATURE_INVALID (strict)', async () => {
    const res = await call(tpp, accounts(), {
      headers: { 'Consent-ID': 'x' },
      after: (h, body) => ({
        headers: { ...h, Signature: h.Signature.replace(/SN=[0-9a-fA-F]+/, 'SN=1234abcd') },
        body,
      }),
    });
    expect([res.status, codeOf(res)]).toEqual([401, 'SIGNATURE_INVALID']);
    expect(res.body.tppMessages[0].text).toMatch(/KEYID_MISMATCH/);
  });

  it('BEC: an unenrolled signing certificate → 401 CERTIFICATE_BLOCKED', async () => {
    const fresh = makeTpp(sandbox.serverCaPem, { ca: ca() });
    extra.push(fresh);
    const res = await call(fresh, accounts(), { headers: { 'Consent-ID': 'x' } });
    expect([res.status, codeOf(res)]).toEqual([401, 'CERTIFICATE_BLOCKED']);
  });

  it("a signing certificate of another organisation than the QWAC's → 401 CERTIFICATE_INVALID", async () => {
    const mixed = makeTpp(sandbox.serverCaPem, { ca: ca() }, tpp.certs.qwac);
    extra.push(mixed);
    const res = await call(mixed, accounts(), { headers: { 'Consent-ID': 'x' } });
    expect([res.status, codeOf(res)]).toEqual([401, 'CERTIFICATE_INVALID']);
    expect(res.body.tppMessages[0].text).toMatch(/organizationIdentifier/);
  });

  it('the request log records the verifier result', async () => {
    const log = sandbox.requestLog('bec').filter((e) => e.errorCode === 'SIGNATURE_INVALID');
    expect(log.length).toBeGreaterThan(0);
    expect(log.at(-1)!.verification?.ok).toBe(false);
    expect(log.at(-1)!.verification?.errors.length).toBeGreaterThan(0);
  });
});

describe('Berlin Group validation', () => {
  it('POST /v1/consents without PSU-IP-Address → 400 FORMAT_ERROR naming the header', async () => {
    const res = await call(tpp, `${bec}/v1/consents`, {
      json: consentBody(sandbox),
      headers: { 'TPP-Redirect-URI': TPP_REDIRECT },
    });
    expect([res.status, codeOf(res), res.body.tppMessages[0].path]).toEqual([400, 'FORMAT_ERROR', 'PSU-IP-Address']);
  });

  it('frequencyPerDay "x" → 400 FORMAT_ERROR naming the field', async () => {
    const res = await call(tpp, `${bec}/v1/consents`, {
      json: consentBody(sandbox, { frequencyPerDay: 'x' }),
      headers: { 'PSU-IP-Address': PSU_IP, 'TPP-Redirect-URI': TPP_REDIRECT },
    });
    expect([res.status, codeOf(res), res.body.tppMessages[0].path]).toEqual([400, 'FORMAT_ERROR', 'frequencyPerDay']);
  });

  it('invalid JSON → 400 FORMAT_ERROR', async () => {
    const res = await call(tpp, `${bec}/v1/consents`, {
      rawBody: '{"access": ',
      headers: { 'content-type': 'application/json', 'PSU-IP-Address': PSU_IP, 'TPP-Redirect-URI': TPP_REDIRECT },
    });
    expect([res.status, codeOf(res)]).toEqual([400, 'FORMAT_ERROR']);
  });
});

describe('consent checks', () => {
  it('unknown consent → 403 CONSENT_UNKNOWN', async () => {
    const res = await call(tpp, accounts(), { headers: { 'Consent-ID': randomUUID() } });
    expect([res.status, codeOf(res)]).toEqual([403, 'CONSENT_UNKNOWN']);
  });

  it('not yet authorised → 401 CONSENT_INVALID', async () => {
    const { consentId } = await becCreateConsent(sandbox, tpp);
    const res = await call(tpp, accounts(), { headers: { 'Consent-ID': consentId } });
    expect([res.status, codeOf(res)]).toEqual([401, 'CONSENT_INVALID']);
  });

  it('revoked by the PSU (admin) → 401 CONSENT_INVALID', async () => {
    const consentId = await becValidConsent(sandbox, tpp);
    const revoked = await admin(sandbox.adminUrl, 'POST', `/admin/banks/bec/consents/${consentId}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revokedByPsu');
    const res = await call(tpp, accounts(), { headers: { 'Consent-ID': consentId } });
    expect([res.status, codeOf(res)]).toEqual([401, 'CONSENT_INVALID']);
  });

  it('frequencyPerDay: the fifth unattended read → 429 ACCESS_EXCEEDED; a read with PSU-IP-Address still works', async () => {
    const consentId = await becValidConsent(sandbox, tpp, { frequencyPerDay: 4 });
    for (let i = 0; i < 4; i++) {
      const ok = await call(tpp, accounts(), { headers: { 'Consent-ID': consentId } });
      expect(ok.status, ok.text).toBe(200);
    }
    const fifth = await call(tpp, accounts(), { headers: { 'Consent-ID': consentId } });
    expect([fifth.status, codeOf(fifth)]).toEqual([429, 'ACCESS_EXCEEDED']);
    const present = await call(tpp, accounts(), { headers: { 'Consent-ID': consentId, 'PSU-IP-Address': PSU_IP } });
    expect(present.status).toBe(200);
    const stats = await admin(sandbox.adminUrl, 'GET', '/admin/banks/bec/stats');
    expect(stats.body.byStatusAndCode['429 ACCESS_EXCEEDED']).toBeGreaterThanOrEqual(1);
  });

  it('expired after the clock passes validUntil → 401 CONSENT_EXPIRED', async () => {
    const consentId = await becValidConsent(sandbox, tpp, { validUntil: consentBody(sandbox).validUntil });
    const ok = await call(tpp, accounts(), { headers: { 'Consent-ID': consentId, 'PSU-IP-Address': PSU_IP } });
    expect(ok.status).toBe(200);
    const before = sandbox.clock.now();
    await admin(sandbox.adminUrl, 'POST', '/admin/clock/advance', { days: 92 });
    try {
      const res = await call(tpp, accounts(), { headers: { 'Consent-ID': consentId, 'PSU-IP-Address': PSU_IP } });
      expect([res.status, codeOf(res)]).toEqual([401, 'CONSENT_EXPIRED']);
    } finally {
      sandbox.clock.set(before);
    }
  });
});

describe('limits and faults', () => {
  it('rate limit → 429 TOO_MANY_REQUESTS with Retry-After', async () => {
    sandbox.setLimits('enfuce-st1', { perSecond: 2 });
    try {
      const url = `${sandbox.banks['enfuce-st1'].baseUrl}/card-account/v1/card-accounts`;
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await call(tpp, url, { sign: 'enfuce' }));
      const limited = results.find((r) => r.status === 429);
      expect(limited, results.map((r) => r.status).join(',')).toBeDefined();
      expect(codeOf(limited!)).toBe('TOO_MANY_REQUESTS');
      expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      sandbox.setLimits('enfuce-st1', { perSecond: null });
    }
  });

  it('503 share, dropped connections and malformed JSON', async () => {
    const url = `${sandbox.banks['enfuce-rocker'].baseUrl}/card-account/v1/card-accounts`;
    const put = (body: unknown) => admin(sandbox.adminUrl, 'PUT', '/admin/banks/enfuce-rocker/faults', body);
    try {
      expect((await put({ errorRate: 1, errorStatus: 503 })).status).toBe(200);
      const unavailable = await call(tpp, url, { sign: 'enfuce' });
      expect([unavailable.status, codeOf(unavailable)]).toEqual([503, 'SERVICE_UNAVAILABLE']);

      await put({ errorRate: 0, dropRate: 1 });
      await expect(call(tpp, url, { sign: 'enfuce' })).rejects.toThrow();

      await put({ dropRate: 0, malformedRate: 1 });
      const malformed = await call(tpp, url, { sign: 'enfuce' });
      expect(malformed.status).toBe(200);
      expect(() => JSON.parse(malformed.text)).toThrow();

      await put({ malformedRate: 0, errorRate: 0.5, errorStatus: 500 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await call(tpp, url, { sign: 'enfuce' })).status);
      const errors = statuses.filter((s) => s === 500).length;
      expect(errors).toBeGreaterThan(3);
      expect(errors).toBeLessThan(27);
    } finally {
      await put({ errorRate: 0, dropRate: 0, malformedRate: 0 });
    }
  });
});

describe('robustness', () => {
  it('garbage does not crash the server', async () => {
    const base = sandbox.banks.bec.origin;
    const results = await Promise.all([
      call(tpp, `${base}/psd2/0400/v1/consents`, {
        rawBody: '\u0000\u00ff{{{',
        headers: { 'content-type': 'application/json', 'PSU-IP-Address': PSU_IP },
      }),
      call(tpp, `${base}/psd2/0400/v1/consents`, {
        rawBody: 'x'.repeat(1024 * 1024 + 10),
        headers: { 'content-type': 'application/json' },
      }),
      call(tpp, `${base}/psd2/0400/v1/accounts/%E0%A4%A/transactions?bookingStatus=%%%`, {
        headers: { 'Consent-ID': 'x' },
      }),
      call(tpp, `${base}/psd2/0400/v1/accounts`, {
        headers: { 'Consent-ID': 'x', Signature: 'keyId=",,,,', Digest: '===' },
      }),
      call(tpp, `${base}/nowhere`, {}),
      call(tpp, `${base}/psd2/0400/v1/accounts`, { method: 'PUT', rawBody: '{}' }),
      call(tpp, `${base}/psd2/9999/v1/accounts`, { headers: { 'Consent-ID': 'x' } }),
      call(tpp, `${base}/psd2/0400/v1/consents`, {
        json: [1, 2, 3],
        headers: { 'PSU-IP-Address': PSU_IP, 'TPP-Redirect-URI': 'javascript:alert(1)' },
      }),
    ]);
    const statusAndCode = results.map((r) => `${r.status} ${codeOf(r)}`);
    expect(statusAndCode[1]).toBe('413 FORMAT_ERROR');
    expect(statusAndCode[4]).toBe('404 RESOURCE_UNKNOWN');
    expect(statusAndCode[5]).toBe('405 SERVICE_INVALID');
    expect(statusAndCode[6]).toBe('404 RESOURCE_UNKNOWN');
    for (const r of results) expect(r.status, r.text).toBeLessThan(500);

    // A raw socket speaking nonsense gets dropped, and the bank still answers afterwards.
    const port = Number(new URL(base).port);
    await new Promise<void>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, ca: sandbox.serverCaPem }, () => {
        socket.write('GARBAGE \u0001\u0002 HTTP/9.9\r\n\r\n');
      });
      socket.on('data', () => undefined);
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
    });
    const after = await call(tpp, accounts(), { headers: { 'Consent-ID': randomUUID() } });
    expect(after.status).toBe(403);
  });
});
