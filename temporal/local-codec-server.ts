import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { PayloadCodec } from '@temporalio/common';
import { codecBodySchema, fromJson, toJson } from '../api/routes/codec/routes';

/** The same limit as the API's codec endpoint. */
const BODY_LIMIT = 8 * 1024 * 1024;

export interface LocalCodecServer {
  /** The remote codec endpoint for `--ui-codec-endpoint`, e.g. http://127.0.0.1:8234/codec. */
  endpoint: string;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Local runs only (`npm start`): the Temporal UI's remote codec without an API key, because the UI
 * sends none. It listens on 127.0.0.1 only and answers CORS only for the given UI origins, so
 * nothing off this machine can decrypt payloads through it. Production keeps the API's key-protected
 * /codec endpoint (scope ops:codec).
 */
export async function startLocalCodecServer(options: {
  codec: PayloadCodec;
  port: number;
  uiOrigins: string[];
}): Promise<LocalCodecServer> {
  const origins = new Set(options.uiOrigins);
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const origin = request.headers.origin;
    response.setHeader('vary', 'Origin');
    if (origin && origins.has(origin)) {
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('access-control-allow-credentials', 'true');
    }
    const operation = /^\/codec\/(decode|encode)$/.exec(request.url ?? '')?.[1];
    if (!operation) return response.writeHead(404).end();
    if (origin && !origins.has(origin)) return response.writeHead(403).end();
    if (request.method === 'OPTIONS') {
      return response
        .writeHead(204, {
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': 'content-type, authorization, x-namespace',
          'access-control-max-age': '600',
        })
        .end();
    }
    if (request.method !== 'POST') return response.writeHead(405, { allow: 'POST, OPTIONS' }).end();
    try {
      const body = codecBodySchema.parse(JSON.parse(await readBody(request)));
      const payloads = body.payloads.map(fromJson);
      const result =
        operation === 'decode' ? await options.codec.decode(payloads) : await options.codec.encode(payloads);
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ payloads: result.map(toJson) }));
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: message }));
    }
  };
  const server: Server = createServer((request, response) => {
    handle(request, response).catch(() => response.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}/codec`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
