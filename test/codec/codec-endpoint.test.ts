import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { defaultPayloadConverter } from '@temporalio/common';
import { buildApp, type ApiDeps } from '../../api/app';
import { createApiKey } from '../../api/auth/api-keys';
import { temporalUiOriginsFrom } from '../../api/routes/codec/routes';
import { AppMetrics } from '../../metrics/registry';
import { parseEnv } from '../../config/env';
import { generateKeySpec } from '../../secrets/token-cipher';
import { EncryptionCodec } from '../../temporal/payload-codec';
import { tempDatabase } from '../helpers/db';
import { testLogger } from '../helpers/logger';
import { sqliteRepositories } from '../../repositories/sqlite';

const UI = 'http://localhost:8233';
const keySpec = generateKeySpec('k1');
const codec = new EncryptionCodec(parseEnv({ TEMPORAL_PAYLOAD_KEYS: keySpec }).TEMPORAL_PAYLOAD_KEYS!);

const asJson = (value: unknown) => {
  const p = defaultPayloadConverter.toPayload(value);
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data!).toString('base64'),
  };
};
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

describe('codec endpoint for the Temporal UI and CLI (POST /codec/decode, /codec/encode)', () => {
  const database = tempDatabase();
  let app: FastifyInstance;
  let opsKey: string;
  let productKey: string;
  let unrestrictedKey: string;

  const post = (op: string, key: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: `/codec/${op}`,
      headers: {
        'content-type': 'application/json',
        origin: UI,
        'x-namespace': 'default',
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...headers,
      },
      payload: JSON.stringify(body),
    });
  const problem = (res: LightMyRequestResponse) => {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    return res.json<{ status: number; detail: string }>();
  };

  beforeAll(async () => {
    // The codec routes need only the database (API keys); the rest of the deps stay unused here.
    const deps = {
      repositories: sqliteRepositories(database.db),
      logger: testLogger(),
      metrics: new AppMetrics(),
      payloadCodec: codec,
      temporalUiOrigins: temporalUiOriginsFrom(undefined),
    } as unknown as ApiDeps;
    app = buildApp(deps);
    await app.ready();
    opsKey = (await createApiKey(sqliteRepositories(database.db).apiKeys, { name: 'ops', scopes: ['ops:codec'] })).key;
    productKey = (
      await createApiKey(sqliteRepositories(database.db).apiKeys, {
        name: 'product',
        scopes: ['connections:read', 'accounts:read'],
      })
    ).key;
    unrestrictedKey = (await createApiKey(sqliteRepositories(database.db).apiKeys, { name: 'all' })).key;
  });
  afterAll(async () => {
    await app?.close();
    database.remove();
  });

  it('401 without a key, as problem+json with CORS headers the UI can read', async () => {
    const res = await post('decode', undefined, { payloads: [] });
    expect(res.statusCode).toBe(401);
    expect(problem(res).status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe(UI);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
  });

  it('403 for a key without ops:codec, and for an unrestricted key (ops scopes are never implied)', async () => {
    for (const key of [productKey, unrestrictedKey]) {
      const res = await post('decode', key, { payloads: [] });
      expect(res.statusCode).toBe(403);
      expect(problem(res).detail).toMatch(/ops:codec/);
    }
  });

  it('encode then decode round-trips with the ops key; plaintext passes decode unchanged', async () => {
    const plain = asJson({ iban: 'DK5000400440116243' });
    const encoded = await post('encode', opsKey, { payloads: [plain] });
    expect(encoded.statusCode).toBe(200);
    const [cipher] = encoded.json<{ payloads: { metadata: Record<string, string>; data: string }[] }>().payloads;
    expect(unb64(cipher.metadata.encoding)).toBe('binary/encrypted');
    expect(unb64(cipher.metadata['encryption-key-id'])).toBe('k1');
    expect(unb64(cipher.data)).not.toContain('DK5000400440116243');

    const decoded = await post('decode', opsKey, { payloads: [cipher, plain] });
    expect(decoded.statusCode).toBe(200);
    expect(decoded.headers['access-control-allow-origin']).toBe(UI);
    expect(decoded.json()).toEqual({ payloads: [plain, plain] });
  });

  it('accepts a payload without data or metadata (protojson omits empty fields)', async () => {
    const res = await post('decode', opsKey, { payloads: [{}] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ payloads: [{ metadata: {}, data: '' }] });
  });

  it('a payload under an unknown key is 422 naming the key id, never key material', async () => {
    const other = new EncryptionCodec(
      parseEnv({ TEMPORAL_PAYLOAD_KEYS: generateKeySpec('gone') }).TEMPORAL_PAYLOAD_KEYS!,
    );
    const [encrypted] = await other.encode([defaultPayloadConverter.toPayload('x')]);
    const res = await post('decode', opsKey, {
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(encrypted.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          data: Buffer.from(encrypted.data!).toString('base64'),
        },
      ],
    });
    expect(res.statusCode).toBe(422);
    const detail = problem(res).detail;
    expect(detail).toMatch(/no payload key "gone"/);
    expect(detail).not.toContain(keySpec.split(':')[1]);
  });

  it('rejects a body that is not payloads in JSON form', async () => {
    const res = await post('decode', opsKey, { payloads: [{ data: 'not base64!' }] });
    expect([400, 422]).toContain(res.statusCode);
    expect(problem(res).status).toBe(res.statusCode);
  });

  it('answers the CORS preflight for the UI origin without a key', async () => {
    for (const op of ['decode', 'encode']) {
      const res = await app.inject({
        method: 'OPTIONS',
        url: `/codec/${op}`,
        headers: {
          origin: UI,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,authorization,x-namespace',
        },
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(UI);
      expect(res.headers['access-control-allow-methods']).toBe('POST');
      expect(String(res.headers['access-control-allow-headers'])).toMatch(/content-type.*authorization.*x-namespace/);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers.vary).toMatch(/Origin/);
    }
  });

  it('refuses a preflight from another origin and sends no CORS grant to it', async () => {
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const post403 = await post('decode', opsKey, { payloads: [] }, { origin: 'https://evil.example' });
    expect(post403.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('TEMPORAL_UI_ORIGIN lists origins; unset means the local dev UI', () => {
    expect(temporalUiOriginsFrom(undefined)).toEqual(['http://127.0.0.1:8233', 'http://localhost:8233']);
    expect(temporalUiOriginsFrom('https://temporal.example/, http://localhost:8080')).toEqual([
      'https://temporal.example',
      'http://localhost:8080',
    ]);
  });

  it('is absent when the API has no payload codec', async () => {
    const bare = buildApp({
      repositories: sqliteRepositories(database.db),
      logger: testLogger(),
      metrics: new AppMetrics(),
    } as unknown as ApiDeps);
    await bare.ready();
    const res = await bare.inject({ method: 'POST', url: '/codec/decode', payload: { payloads: [] } });
    expect(res.statusCode).toBe(404);
    await bare.close();
  });

  it('documents the codec routes in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/codec/decode', '/codec/encode']));
  });
});
