import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSandboxBanks, type SandboxBanks } from '../../sandbox';
import { splitTppText } from '../../sandbox/http';
import { resolveSpecPath } from '../../sandbox/spec-validator';
import { generateSandboxCertificates } from '../../xs2a/certs';
import type { PemPair } from '../../xs2a/certs/types';
import { parseSignatureHeader } from '../../xs2a/signing';
import { testLogger } from '../helpers/logger';
import { becEnrol, consentBody } from './flows';
import { PSU_IP, TPP_REDIRECT, call, codeOf, daysFrom, makeTpp, type CallResult, type TestTpp } from './helpers';

/** Sandbox answers held against the Berlin Group 1.3.12 file, and Enfuce's documented keyId. */

let sandbox: SandboxBanks;
let tpp: TestTpp;
let tppCa: PemPair;
let spec: { components: { headers: Record<string, { schema: { enum?: string[] } }>; schemas: Record<string, any> } };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

beforeAll(async () => {
  spec = parse(readFileSync(resolveSpecPath(), 'utf8'));
  tppCa = generateSandboxCertificates().ca;
  sandbox = await startSandboxBanks({ tppCa, logger: testLogger() });
  tpp = makeTpp(sandbox.serverCaPem, { ca: tppCa, organizationName: 'Conformance TPP' });
  await becEnrol(sandbox, tpp);
});

afterAll(async () => {
  await tpp?.agent.close();
  await sandbox?.stop();
});

const bec = () => sandbox.banks.bec.baseUrl;
const rocker = () => sandbox.banks['enfuce-rocker'].baseUrl;

async function enfuceClientToken(base: string): Promise<string> {
  const res = await call(tpp, `${base}/v1/token`, {
    form: { grant_type: 'client_credentials', client_id: tpp.orgId },
    sign: null,
    requestId: null,
  });
  expect(res.status, res.text).toBe(200);
  return res.body.access_token;
}

function becConsent(json: unknown, opts: { headers?: Record<string, string>; requestId?: string } = {}) {
  return call(tpp, `${bec()}/v1/consents`, {
    json,
    requestId: opts.requestId,
    headers: { 'PSU-IP-Address': PSU_IP, 'TPP-Redirect-URI': TPP_REDIRECT, ...opts.headers },
  });
}

describe('Enfuce keyId: SN=<serial hex>,CA=<URL-encoded issuer DN>', () => {
  const accounts = () => `${rocker()}/card-account/v1/card-accounts`;

  it('our Enfuce signer sends the CA URL-encoded, and the bank accepts it', async () => {
    const keyId = tpp.signer('enfuce').keyId;
    expect(keyId).toMatch(/^SN=[0-9A-F]+,CA=C%3DDK%2C%20O%3D/);
    const res = await call(tpp, accounts(), { sign: 'enfuce', headers: { 'Consent-ID': 'none' } });
    // Past the signature: the request fails later, for want of a token, not for its keyId.
    expect(codeOf(res)).not.toMatch(/SIGNATURE|CERTIFICATE/);
    const logged = sandbox.requestLog('enfuce-rocker').at(-1);
    expect(logged?.verification).toMatchObject({ ok: true, keyIdCaEncoding: 'url' });
  });

  it('a raw DN in keyId is 401 naming the problem, with a Berlin Group error body; BEC still takes it raw', async () => {
    const res = await call(tpp, accounts(), {
      sign: 'enfuce',
      headers: { 'Consent-ID': 'none' },
      // keyId is not signed, so the signature still verifies: only its spelling is wrong.
      after: (headers, body) => {
        const keyId = parseSignatureHeader(headers.Signature).keyId;
        const raw = keyId.replace(/,CA=(.*)$/, (_, ca: string) => `,CA=${decodeURIComponent(ca)}`);
        return { headers: { ...headers, Signature: headers.Signature.replace(keyId, raw) }, body };
      },
    });
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body.tppMessages).toHaveLength(1);
    expect(res.body.tppMessages[0]).toMatchObject({ category: 'ERROR', code: 'SIGNATURE_INVALID' });
    expect(res.body.tppMessages[0].text).toMatch(/URL-encoded distinguished name/);
    expect(res.body.tppMessages[0].text).toContain('C=DK, O=Sandbox QTSP, CN=Sandbox CA');
    expect(res.body.tppMessages[0].text).toContain('CA=C%3DDK%2C%20O%3DSandbox%20QTSP%2C%20CN%3DSandbox%20CA');
    expect(sandbox.requestLog('enfuce-rocker').at(-1)?.verification).toMatchObject({
      ok: true,
      keyIdCaEncoding: 'raw',
    });

    const becRes = await call(tpp, `${bec()}/v1/accounts`, { sign: 'bec', headers: { 'Consent-ID': 'none' } });
    expect(tpp.signer('bec').keyId).toContain(',CA=CN=Sandbox CA,O=Sandbox QTSP,C=DK');
    expect(codeOf(becRes)).toBe('CONSENT_UNKNOWN');
  });
});

describe('splitTppText', () => {
  it('keeps a text of at most 500 characters whole, cuts after "; " where it can, else at the limit', () => {
    expect(splitTppText('x'.repeat(500))).toEqual(['x'.repeat(500)]);
    expect(splitTppText('')).toEqual(['']);
    expect(splitTppText(`${'a'.repeat(300)}; ${'b'.repeat(300)}`)).toEqual(['a'.repeat(300), 'b'.repeat(300)]);
    const long = 'c'.repeat(1201);
    const parts = splitTppText(long);
    expect(parts.map((p) => p.length)).toEqual([500, 500, 201]);
    expect(parts.join('')).toBe(long);
    // Never half a surrogate pair.
    const emoji = `${'d'.repeat(499)}😀${'e'.repeat(10)}`;
    expect(splitTppText(emoji)).toEqual(['d'.repeat(499), `😀${'e'.repeat(10)}`]);
  });
});

describe('responses against Berlin Group 1.3.12', () => {
  it('Enfuce consent creation answers ASPSP-SCA-Approach from the enum (OAuth is REDIRECT)', async () => {
    const allowed = spec.components.headers['ASPSP-SCA-Approach'].schema.enum;
    expect(allowed).toEqual(['EMBEDDED', 'DECOUPLED', 'REDIRECT']);
    const { apiKey } = sandbox.banks['enfuce-rocker'];
    const token = await enfuceClientToken(rocker());
    const res = await call(tpp, `${rocker()}/consent/v1/consents`, {
      sign: 'enfuce',
      json: {
        access: { allPsd2: 'allAccounts' },
        recurringIndicator: true,
        validUntil: daysFrom(sandbox.clock.now(), 60),
        frequencyPerDay: 4,
        combinedServiceIndicator: false,
      },
      headers: { Authorization: `Bearer ${token}`, 'X-API-Key': apiKey!, 'PSU-IP-Address': PSU_IP },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.headers['aspsp-sca-approach']).toBe('REDIRECT');
    expect(res.body._links.scaOAuth.href).toMatch(/oauth-authorization-server$/);
  });

  it('a tppMessages text longer than 500 characters is split into several messages of at most 500', async () => {
    const maxLength = spec.components.schemas.tppMessageText.maxLength as number;
    expect(maxLength).toBe(500);
    const extra = Array.from({ length: 12 }, (_, i) => `x-not-allowed-header-${i}`);
    const res = await call(tpp, `${bec()}/v1/accounts`, {
      headers: { 'Consent-ID': 'none', ...Object.fromEntries(extra.map((name) => [name, 'v'])) },
      after: (headers, body) => {
        const list = ['digest', 'x-request-id', ...extra].join(' ');
        return {
          headers: { ...headers, Signature: headers.Signature.replace(/headers="[^"]*"/, `headers="${list}"`) },
          body,
        };
      },
    });
    expect(res.status).toBe(401);
    const messages = res.body.tppMessages as { category: string; code: string; text: string }[];
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) {
      expect(m.text.length).toBeLessThanOrEqual(maxLength);
      expect(m).toMatchObject({ category: 'ERROR', code: 'SIGNATURE_INVALID' });
    }
    const all = messages.map((m) => m.text).join('; ');
    for (const name of extra) expect(all).toContain(`"${name}"`);
  });

  it('404, 405, 413 and 400 answers carry X-Request-ID: the request’s when it is a UUID, else a fresh UUID', async () => {
    const base = sandbox.banks.bec.origin;
    const id = randomUUID();
    const answers: [string, CallResult][] = [
      ['404', await call(tpp, `${base}/nowhere`, { requestId: id })],
      ['405', await call(tpp, `${bec()}/v1/accounts`, { method: 'PUT', rawBody: '{}', requestId: id })],
      [
        '413',
        await call(tpp, `${bec()}/v1/consents`, {
          rawBody: 'x'.repeat(1024 * 1024 + 10),
          headers: { 'content-type': 'application/json' },
          requestId: id,
        }),
      ],
    ];
    for (const [status, res] of answers) {
      expect(String(res.status)).toBe(status);
      expect(res.headers['x-request-id'], status).toBe(id);
    }
    for (const res of [
      await call(tpp, `${base}/nowhere`, { requestId: 'not-a-uuid' }),
      await call(tpp, `${base}/nowhere`, { requestId: null, sign: null }),
      await call(tpp, `${bec()}/v1/accounts`, { requestId: 'req-1', headers: { 'Consent-ID': 'x' } }),
    ]) {
      expect(res.headers['x-request-id']).toMatch(UUID);
    }
  });

  it('a body that is not JSON by Content-Type is 415 with no body, as Berlin Group 1.3.12 defines it', async () => {
    const id = randomUUID();
    const res = await call(tpp, `${bec()}/v1/consents`, {
      rawBody: JSON.stringify(consentBody(sandbox)),
      requestId: id,
      headers: { 'content-type': 'text/plain', 'PSU-IP-Address': PSU_IP, 'TPP-Redirect-URI': TPP_REDIRECT },
    });
    expect(res.status).toBe(415);
    expect(res.headers['x-request-id']).toBe(id);
    expect(res.text).toBe('');
  });

  it('a consent naming an IBAN with wrong check digits is 400 FORMAT_ERROR, as a payment is', async () => {
    const good = 'DK5000400440116243';
    const bad = 'DK5000400440116244';
    const refused = await becConsent(
      consentBody(sandbox, { access: { accounts: [{ iban: good }], balances: [{ iban: good }, { iban: bad }] } }),
    );
    expect([refused.status, codeOf(refused)], refused.text).toEqual([400, 'FORMAT_ERROR']);
    expect(refused.body.tppMessages[0].path).toBe('access.balances[1].iban');
    expect(refused.body.tppMessages[0].text).toMatch(/DK5000400440116244.*mod-97/);

    const payment = await call(tpp, `${bec()}/v1/payments/sepa-credit-transfers`, {
      json: {
        instructedAmount: { currency: 'DKK', amount: '1.00' },
        debtorAccount: { iban: bad },
        creditorAccount: { iban: good },
        creditorName: 'Someone',
        remittanceInformationUnstructured: 'x',
      },
      headers: { 'PSU-IP-Address': PSU_IP, 'TPP-Redirect-URI': TPP_REDIRECT },
    });
    expect([payment.status, codeOf(payment)], payment.text).toEqual([400, 'FORMAT_ERROR']);

    const accepted = await becConsent(consentBody(sandbox, { access: { accounts: [{ iban: good }] } }));
    expect(accepted.status, accepted.text).toBe(201);
  });
});
