import type { ApiApp, ApiDeps } from '../../deps';
import { problemResponses } from '../../problem';
import { aspspListSchema } from './schemas';

export function aspspRoutes(app: ApiApp, deps: ApiDeps): void {
  app.get(
    '/v1/aspsps',
    {
      config: { scope: 'aspsps:read' },
      schema: {
        tags: ['aspsps'],
        summary: 'Banks we can connect to',
        response: { 200: aspspListSchema, ...problemResponses(401, 403) },
      },
    },
    async () =>
      deps.banks
        .profiles()
        .map((p) => ({ id: p.id, name: p.name, country: p.country, services: p.services, environment: p.environment })),
  );
}
