import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJson } from '../../api/routes/codec/routes';
import { freePort } from '../../scripts/local-service';
import { startDevServer } from '../../temporal/dev-server';
import { startLocalCodecServer, type LocalCodecServer } from '../../temporal/local-codec-server';
import { EncryptionCodec } from '../../temporal/payload-codec';

describe('the loopback codec server of npm start (the Temporal UI sends no API key)', () => {
  const codec = new EncryptionCodec(new Map([['local1', randomBytes(32)]]));
  const ui = 'http://127.0.0.1:8233';
  let server: LocalCodecServer;
  beforeAll(async () => {
    server = await startLocalCodecServer({ codec, port: 0, uiOrigins: [ui] });
  });
  afterAll(async () => server?.close());

  it('listens on 127.0.0.1 and decodes for the UI origin, with CORS', async () => {
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/codec$/);
    const plain = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{"iban":"DK50"}') };
    const encrypted = toJson(codec.encodeOne(plain));
    const preflight = await fetch(`${server.endpoint}/decode`, { method: 'OPTIONS', headers: { origin: ui } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ui);
    const res = await fetch(`${server.endpoint}/decode`, {
      method: 'POST',
      headers: { origin: ui, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [encrypted] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ui);
    const body = (await res.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(body.payloads[0].data, 'base64').toString()).toBe('{"iban":"DK50"}');
  });

  it('answers `{}` (how the Temporal CLI sends a message without payloads) with an empty list, not 400', async () => {
    // A 400 here made `temporal workflow show --codec-endpoint` retry each history page until its deadline.
    const res = await fetch(`${server.endpoint}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ payloads: [] });
  });

  it('refuses other origins and other paths', async () => {
    const foreign = await fetch(`${server.endpoint}/decode`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [] }),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(server.endpoint.replace('/codec', '/other'))).status).toBe(404);
  });

  it('the dev server of npm start hands the UI this endpoint (--ui-codec-endpoint)', async () => {
    const uiPort = await freePort();
    const dev = await startDevServer({ port: await freePort(), uiPort, uiCodecEndpoint: server.endpoint });
    try {
      const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as {
        Codec: { Endpoint: string };
      };
      expect(settings.Codec.Endpoint).toBe(server.endpoint);
    } finally {
      await dev.stop();
    }
  }, 60_000);
});
