import { accessDocumentFor } from './access-schema';
import { PROBLEM_CONTENT_TYPE } from './problem';

/**
 * The last touches on the OpenAPI document (fastify-swagger's transformObject), so that it says
 * what the API answers: every error is application/problem+json; the statuses any route can
 * answer before or around its handler are listed (400 unreadable request, 401/403, 413/415 for
 * bodies, 414 over-long ids, 422, 500, 502 where the bank is called, 503 while Temporal is away
 * or the server stops); /callback is the PSU's browser page (302; errors as HTML, or problem+json
 * for a client that asks for JSON); aspspId lists the configured banks (for payments and funds
 * confirmations, those offering the service).
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

/** The PSU's browser gets a short HTML page; a client whose Accept prefers JSON gets problem+json. */
const PAGE_OR_PROBLEM = {
  'text/html': { schema: { type: 'string' } },
  [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } },
};

/** The PSU's browser comes back here: a redirect to the product, or a short page. */
const CALLBACK_RESPONSES: Record<string, Response> = {
  '302': {
    description: "Redirect to the product's redirectUrl, with connectionId (or paymentId) and outcome in its query",
    headers: { Location: { schema: { type: 'string' }, description: "The product's redirectUrl" } },
  },
  '400': {
    description: 'The link cannot be read: no state, a value the query cannot hold, or longer than the server reads',
    content: PAGE_OR_PROBLEM,
  },
  '404': {
    description: 'No such authorisation session: the state is unknown or the session has expired',
    content: PAGE_OR_PROBLEM,
  },
  '500': { description: 'Something went wrong; the PSU may try again', content: PAGE_OR_PROBLEM },
  '503': {
    description: 'The service is briefly unavailable (the answer is saved); the PSU may retry',
    content: PAGE_OR_PROBLEM,
  },
};

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

function problemResponse(status: number): Response {
  return {
    description: TEXT[status] ?? 'Error',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

/**
 * A bank names its accounts one way (payment accounts by IBAN, BBAN or a proprietary id; card
 * accounts by PAN): each kind gets its own AccountAccess, and the create body ties the bank to it.
 */
function accessPerBankKind(doc: Document, name: string, banks: DocumentedBank[]): void {
  const schemas = doc.components?.schemas;
  const create = schemas?.[name] as { properties?: Record<string, { allOf?: { $ref?: string }[] }>; anyOf?: unknown };
  const ref = create?.properties?.access?.allOf?.[0]?.$ref;
  const accessName = ref?.split('/').at(-1);
  if (!schemas || !accessName || !schemas[accessName]) return;
  const kinds = [...new Set(banks.map((b) => b.accountKind).filter((k) => k !== undefined))];
  if (kinds.length === 0) return;
  create.anyOf = kinds.map((kind) => {
    const variant = `${accessName}For${kind === 'accounts' ? 'Accounts' : 'CardAccounts'}`;
    schemas[variant] ??= accessDocumentFor(schemas[accessName], kind) as Record<string, unknown>;
    return {
      properties: {
        aspspId: { enum: banks.filter((b) => b.accountKind === kind).map((b) => b.id) },
        access: { $ref: `#/components/schemas/${variant}` },
      },
    };
  });
}

const isProblem = (schema: unknown) => JSON.stringify(schema ?? null).includes('#/components/schemas/Problem');

/** A configured bank as the document names it: its id and the services it offers (ais, pis, piis). */
export interface DocumentedBank {
  id: string;
  services?: readonly string[];
  /** How the bank's accounts are named in an AccountAccess (banks/… profile.paths.accountKind). */
  accountKind?: 'accounts' | 'card-accounts';
}

export function finishOpenApi<T>(document: T, opts: { banks: DocumentedBank[]; globalSecurity: boolean }): T {
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
      // Every error body is RFC 9457 problem details; a 204 has no body at all.
      for (const [status, response] of Object.entries(responses)) {
        if (status === '204') delete response.content;
        const json = response.content?.['application/json'];
        if (Number(status) >= 400 && json && isProblem(json.schema)) {
          response.content = { [PROBLEM_CONTENT_TYPE]: json };
        }
      }
    }
  }
  // The banks this deployment can connect to (GET /v1/aspsps lists them too); payments and funds
  // confirmations only those offering the service, so every bank the document names can take it.
  const offering = (service?: string) =>
    opts.banks.filter((b) => service === undefined || b.services?.includes(service)).map((b) => b.id);
  for (const [schema, service] of [
    ['CreateConnection', undefined],
    ['CreateConnectionInput', undefined],
    ['CreatePayment', 'pis'],
    ['CreatePaymentInput', 'pis'],
    ['FundsConfirmationRequest', 'piis'],
    ['FundsConfirmationRequestInput', 'piis'],
  ] as const) {
    const aspspId = doc.components?.schemas?.[schema]?.properties?.aspspId;
    const ids = offering(service);
    if (aspspId && ids.length > 0) aspspId.enum = ids;
  }
  for (const schema of ['CreateConnection', 'CreateConnectionInput']) accessPerBankKind(doc, schema, opts.banks);
  return document;
}
