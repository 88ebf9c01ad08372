import fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { metrics as processMetrics } from '../metrics/registry';
import { authenticate, requireScope } from './auth/authenticate';
import type { ApiApp, ApiDeps } from './deps';
import { mapServiceError } from './errors';
import { clientErrorHandler, frameworkErrors, MAX_PARAM_LENGTH, RouteMethods } from './framework-errors';
import { finishOpenApi } from './openapi';
import { ApiProblem, sendProblem } from './problem';
import { accountRoutes } from './routes/accounts/routes';
import { aspspRoutes } from './routes/aspsps/routes';
import { callbackRoutes } from './routes/callback/routes';
import { codecRoutes } from './routes/codec/routes';
import { connectionRoutes } from './routes/connections/routes';
import { fundsConfirmationRoutes } from './routes/funds-confirmations/routes';
import { healthRoutes } from './routes/health/routes';
import { metricsRoutes } from './routes/metrics/routes';
import { paymentRoutes } from './routes/payments/routes';
import { webhookEndpointRoutes } from './routes/webhook-endpoints/routes';
import { RequestValidationError, zodValidatorCompiler } from './validation';

export type { ApiDeps } from './deps';

/**
 * What a request looks like in our logs: never a credential header, and never
 * the query of /callback (it carries the OAuth state and authorisation code).
 */
export function serializeRequest(request: FastifyRequest) {
  const path = request.url.split('?')[0];
  const isCallback = path === '/callback' || path.startsWith('/callback/');
  // Method, URL and host only: other headers carry credentials or personal data (X-PSU-IP-Address).
  return {
    method: request.method,
    url: isCallback ? path : request.url,
    host: request.host,
    remoteAddress: request.ip,
  };
}

export function buildApp(deps: ApiDeps): FastifyInstance {
  const metrics = deps.metrics ?? processMetrics;
  const now = deps.now ?? Date.now;
  const app = fastify({
    loggerInstance: deps.logger,
    // X-Forwarded-For is trusted only from loopback (a local proxy); set trustProxy in front of a real one.
    trustProxy: 'loopback',
    bodyLimit: 256 * 1024,
    // A JSON member named __proto__ (or constructor.prototype) is dropped on parsing, like any member
    // the API does not read, rather than refusing the body: it can never reach an object's prototype.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    return503OnClosing: true,
    requestIdHeader: 'x-request-id',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Errors before any route runs are problem+json too (api/framework-errors.ts).
    frameworkErrors,
    clientErrorHandler,
    // Fastify takes serializers only for a logger it creates; give ours to each request's child logger.
    childLoggerFactory: (logger, bindings, options) =>
      logger.child(bindings, { ...options, serializers: { ...options.serializers, req: serializeRequest } }),
  }) as unknown as FastifyInstance;

  // The read model for every route plugin (fastify/demo's "repositories as plugins"): app.repositories.
  app.decorate('repositories', deps.repositories);
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.register(fastifySwagger, {
    openapi: {
      // 3.0.3: the version most generators and validators (openapi-backend's included) accept.
      openapi: '3.0.3',
      info: {
        title: 'Open-banking aggregator API',
        version: '1.0.0',
        description:
          'Connections to banks (PSD2 AIS), accounts, balances and transactions, payments (PIS) and funds confirmations (PIIS) for our products.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'API key: Authorization: Bearer obk_…' },
        },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: (document) =>
      finishOpenApi(jsonSchemaTransformObject(document), {
        // Some compositions (the codec's tests) build the API without banks.
        banks:
          (deps.banks as ApiDeps['banks'] | undefined)?.profiles().map((p) => ({
            id: p.id,
            services: p.services,
            accountKind: p.paths?.accountKind,
          })) ?? [],
        globalSecurity: true,
      }),
  });
  app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', async (request) => {
    if (request.is404) return; // unknown routes answer 404 without revealing what needs a key
    const config = request.routeOptions.config;
    if (config.public || request.url.startsWith('/docs') || request.routeOptions.url === '/openapi.json') return;
    request.principal = await authenticate(app.repositories.apiKeys, request, now());
    if (config.scope) requireScope(request.principal, config.scope);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched');
    metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());

  // A known path asked with another method is a 405 naming the methods it answers.
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => routeMethods.add(route.url, route.method));
  const methodNotAllowed = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    const allowed = routeMethods.allowed(path);
    if (allowed.length === 0 || allowed.includes(request.method)) return undefined;
    return sendProblem(
      reply.header('allow', allowed.join(', ')),
      request,
      405,
      `${path} answers ${allowed.join(', ')}`,
    );
  };
  app.setNotFoundHandler(
    (request, reply) =>
      methodNotAllowed(request, reply) ??
      sendProblem(reply, request, 404, `no route ${request.method} ${request.url.split('?')[0]}`),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    // No route (e.g. a body method such as QUERY without a Content-Type fails before the not-found handler).
    if (request.is404) {
      const refused = methodNotAllowed(request, reply);
      if (refused) return refused;
    }
    if (error instanceof ApiProblem) {
      if (error.headers) reply.headers(error.headers);
      return sendProblem(reply, request, error.status, error.message, { type: error.type, errors: error.errors });
    }
    if (error instanceof RequestValidationError) {
      return sendProblem(reply, request, error.statusCode, `the request ${error.validationContext} is invalid`, {
        errors: error.errors,
      });
    }
    const mapped = mapServiceError(error);
    if (mapped) return sendProblem(reply, request, mapped.status, mapped.message, { errors: mapped.errors });
    // Fastify's own 4xx: malformed JSON, unsupported media type, body too large, empty JSON body …
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(reply, request, error.statusCode, error.message);
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, request, 500, 'internal error; the request id is in the x-request-id header');
  });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const typed = app.withTypeProvider<ZodTypeProvider>();
  const group = (routes: (scope: ApiApp, deps: ApiDeps) => void) =>
    typed.register(async (scope) => routes(scope as unknown as ApiApp, deps));
  group(healthRoutes);
  group(callbackRoutes);
  group(aspspRoutes);
  group(connectionRoutes);
  group(accountRoutes);
  group(paymentRoutes);
  group(fundsConfirmationRoutes);
  group(webhookEndpointRoutes);
  group(codecRoutes);
  typed.register(async (scope) => metricsRoutes(scope as unknown as ApiApp, metrics));
  return app;
}
