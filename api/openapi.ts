import { PROBLEM_CONTENT_TYPE } from './problem';

/**
 * The last touches on the OpenAPI document (fastify-swagger's transformObject), so that it says
 * what the API answers: every error is application/problem+json; the statuses any route can
 * answer before or around its handler are listed (400 unreadable request, 401/403, 413/415 for
 * bodies, 414 over-long ids, 422, 500, 502 where the bank is called, 503 while Temporal is away
 * or the server stops); /callback is the PSU's browser page (302, HTML errors); aspspId lists
 * the configured banks.
 */

interface Operation {
  security?: unknown[];
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses?: Record<string, Response>;
}
interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { schema?: unknown }>;
}
interface Document {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, { properties?: Record<string, Record<string, unknown>> }> };
}

const TEXT: Record<number, string> = {
  400: 'Bad Request: the request cannot be read (malformed JSON, a wrong JSON type, a URL that is not valid percent-encoding)',
  401: 'Unauthorized: no valid API key (Authorization: Bearer obk_…)',
  403: 'Forbidden: the API key lacks the scope or is not issued for this customer',
  404: 'Not Found',
  413: 'Content Too Large',
  414: 'URI Too Long: a path parameter longer than the router takes',
  415: 'Unsupported Media Type: send application/json',
  422: 'Unprocessable Content: a missing or invalid value (errors[] names each field)',
  500: 'Internal Server Error (the request id is in x-request-id)',
  502: 'Bad Gateway: the bank refused or failed; the connection’s status and lastError say why',
  503: 'Service Unavailable: the workflow service is unavailable or the server is stopping; retry later',
};

const HTML = { 'text/html': { schema: { type: 'string' } } };

/** The PSU's browser comes back here: a redirect to the product, or a short HTML page. */
const CALLBACK_RESPONSES: Record<string, Response> = {
  '302': {
    description: "Redirect to the product's redirectUrl, with connectionId (or paymentId) and outcome in its query",
    headers: { Location: { schema: { type: 'string' }, description: "The product's redirectUrl" } },
  },
  '400': { description: 'HTML page: the link cannot be read, or is unknown or expired', content: HTML },
  '409': { description: 'HTML page: this authorisation was already completed or replaced', content: HTML },
  '500': { description: 'HTML page: something went wrong; the PSU may try again', content: HTML },
  '503': { description: 'HTML page: the service is briefly unavailable; the PSU may retry', content: HTML },
};

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

function problemResponse(status: number): Response {
  return {
    description: TEXT[status] ?? 'Error',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

const isProblem = (schema: unknown) => JSON.stringify(schema ?? null).includes('#/components/schemas/Problem');

export function finishOpenApi<T>(document: T, opts: { aspspIds: string[]; globalSecurity: boolean }): T {
  const doc = document as Document;
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const responses = (op.responses ??= {});
      if (path === '/callback') {
        // Without the state no session can be found: the bank always sends it back.
        const state = op.parameters?.find((p) => p.in === 'query' && p.name === 'state') as
          { required?: boolean } | undefined;
        if (state) state.required = true;
        delete responses['200'];
        Object.assign(responses, CALLBACK_RESPONSES);
        continue;
      }
      const add = (...statuses: number[]) => {
        for (const s of statuses) responses[String(s)] ??= problemResponse(s);
      };
      const secured = op.security ? op.security.length > 0 : opts.globalSecurity;
      add(400);
      if (secured) add(401, 403);
      if (path.includes('{')) add(404, 414, 422);
      if (op.requestBody) add(413, 415, 422);
      if (op.parameters?.some((p) => p.in === 'query' || p.in === 'header')) add(422);
      add(500, 503);
      if (path.startsWith('/v1/connections') && method !== 'get') add(502);
      // Every error body is RFC 9457 problem details.
      for (const [status, response] of Object.entries(responses)) {
        const json = response.content?.['application/json'];
        if (Number(status) >= 400 && json && isProblem(json.schema)) {
          response.content = { [PROBLEM_CONTENT_TYPE]: json };
        }
      }
    }
  }
  // The banks this deployment can connect to (GET /v1/aspsps lists them too).
  for (const name of ['CreateConnection', 'CreateConnectionInput']) {
    const aspspId = doc.components?.schemas?.[name]?.properties?.aspspId;
    if (aspspId && opts.aspspIds.length > 0) aspspId.enum = opts.aspspIds;
  }
  return document;
}
