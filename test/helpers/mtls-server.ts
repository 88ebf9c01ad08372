import { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { generateServerCertificate, inspectCertificate } from '../../xs2a/certs';
import type { CertificateInfo, PemPair } from '../../xs2a/certs/types';

export interface MtlsReply {
  status: number;
  headers?: Record<string, string>;
  /** A string or Buffer is sent as is; anything else as JSON. */
  body?: unknown;
}

/**
 * Returns the reply, or nothing when it has taken the exchange over itself:
 * never answering (timeouts) or destroying req.socket (dropped connections).
 */
export type MtlsHandler = (
  req: IncomingMessage,
  body: Buffer,
  clientCertificate: CertificateInfo | undefined,
) => MtlsReply | void | Promise<MtlsReply | void>;

export interface MtlsServerOptions {
  /** Client certificates must chain to this CA; it also issues the server certificate unless `server` is given. */
  ca: PemPair;
  server?: PemPair;
  handler: MtlsHandler;
  requestCert?: true;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  clientCertificate?: CertificateInfo;
  /** PEM of the client certificate, to compare with the QWAC byte for byte. */
  clientCertificatePem?: string;
  tlsSessionReused: boolean;
}

export interface MtlsServer {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** TLS connections accepted (handshakes completed). */
  readonly connections: number;
  close(): Promise<void>;
}

/** A small HTTPS server on 127.0.0.1 that only talks to clients with a certificate chaining to `ca`. */
export async function startMtlsServer(opts: MtlsServerOptions): Promise<MtlsServer> {
  const serverPair =
    opts.server ?? generateServerCertificate(opts.ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
  const requests: ReceivedRequest[] = [];
  let connections = 0;

  const server = createServer(
    {
      key: serverPair.privateKeyPem,
      cert: serverPair.certificatePem,
      ca: opts.ca.certificatePem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void (async () => {
          const body = Buffer.concat(chunks);
          const socket = req.socket as TLSSocket;
          const peer = socket.getPeerCertificate();
          const clientCertificatePem = peer?.raw ? new X509Certificate(peer.raw).toString() : undefined;
          const clientCertificate = clientCertificatePem ? inspectCertificate(clientCertificatePem) : undefined;
          requests.push({
            method: req.method ?? '',
            url: req.url ?? '',
            headers: req.headers,
            body,
            clientCertificate,
            clientCertificatePem,
            tlsSessionReused: socket.isSessionReused(),
          });
          try {
            const reply = await opts.handler(req, body, clientCertificate);
            if (!reply) return;
            const payload =
              reply.body === undefined
                ? undefined
                : typeof reply.body === 'string' || Buffer.isBuffer(reply.body)
                  ? reply.body
                  : JSON.stringify(reply.body);
            const headers: Record<string, string> = { ...(reply.headers ?? {}) };
            if (payload !== undefined && typeof reply.body !== 'string' && !Buffer.isBuffer(reply.body)) {
              headers['content-type'] ??= 'application/json';
            }
            res.writeHead(reply.status, headers);
            res.end(payload);
          } catch (err) {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`test handler failed: ${(err as Error).message}`);
          }
        })();
      });
    },
  );
  server.on('secureConnection', () => {
    connections += 1;
  });
  // Refused handshakes are expected in tests; they must not crash the process.
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
