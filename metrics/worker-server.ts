/**
 * The worker's Prometheus scrape target: a tiny node:http server answering GET /metrics with the
 * process-wide registry (our counters: syncs, bank calls and errors; Node's process metrics).
 * Temporal's own worker metrics (temporal_*) are served by the SDK runtime on
 * TEMPORAL_METRICS_ADDRESS (logging/temporal-runtime.ts), a second target.
 * Unauthenticated, like the API's /metrics: bind it to an internal interface (WORKER_METRICS_HOST).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metrics as processMetrics, PROMETHEUS_CONTENT_TYPE, type MetricsRegistry } from './registry';

export interface MetricsServer {
  /** The bound port (useful with port 0). */
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(options: {
  port: number;
  host?: string;
  registry?: MetricsRegistry;
}): Promise<MetricsServer> {
  const registry = options.registry ?? processMetrics;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(path === '/metrics' ? 405 : 404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    registry.render().then(
      (text) => res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(req.method === 'HEAD' ? '' : text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
