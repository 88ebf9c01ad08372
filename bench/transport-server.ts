import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * The bank side of bench/transport.ts: a loopback HTTPS server that demands a
 * client certificate from `caPem` and answers every request with a small
 * account-list JSON, doing as little as possible so the client is what gets
 * measured. Run in-process (startBenchServer) or as a forked child
 * (this file as entry point, certificates over IPC) so that it does not share
 * the client's event loop.
 */
export interface BenchServerTls {
  caPem: string;
  certificatePem: string;
  privateKeyPem: string;
}

export interface BenchServer {
  port: number;
  connections(): number;
  close(): Promise<void>;
}

const RESPONSE = JSON.stringify({
  accounts: [
    { resourceId: '3dc3d5b3-7023-4848-9853-f5400a64e80f', iban: 'DK5000400440116243', currency: 'DKK', name: 'Budget' },
  ],
});

export async function startBenchServer(tls: BenchServerTls): Promise<BenchServer> {
  let connections = 0;
  const server: Server = createServer(
    {
      key: tls.privateKeyPem,
      cert: tls.certificatePem,
      ca: tls.caPem,
      requestCert: true,
      rejectUnauthorized: true,
      keepAliveTimeout: 60_000,
    },
    (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'x-request-id': String(req.headers['x-request-id'] ?? ''),
        });
        res.end(RESPONSE);
      });
    },
  );
  server.on('secureConnection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type ParentMessage = { type: 'start'; tls: BenchServerTls } | { type: 'stats' } | { type: 'stop' };

// As a forked child: start on request, report the port and connection count, stop when told.
if (require.main === module && process.send) {
  let server: BenchServer | undefined;
  process.on('message', (message: ParentMessage) => {
    void (async () => {
      if (message.type === 'start') {
        server = await startBenchServer(message.tls);
        process.send!({ type: 'started', port: server.port });
      } else if (message.type === 'stats') {
        process.send!({ type: 'stats', connections: server?.connections() ?? 0 });
      } else {
        await server?.close();
        process.exit(0);
      }
    })();
  });
}
