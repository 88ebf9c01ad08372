import { PROMETHEUS_CONTENT_TYPE, type MetricsRegistry } from '../../../metrics/registry';
import type { ApiApp } from '../../deps';

/**
 * Prometheus scrape target. Unauthenticated (scrapers rarely carry bearer keys):
 * it is only as reachable as API_HOST makes it, so bind the API to an internal
 * interface or filter /metrics at the proxy.
 */
export function metricsRoutes(app: ApiApp, metrics: MetricsRegistry): void {
  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: { tags: ['health'], summary: 'Prometheus metrics (text format 0.0.4)', security: [] },
    },
    async (_request, reply) => {
      return reply.type(PROMETHEUS_CONTENT_TYPE).send(await metrics.render());
    },
  );
}
