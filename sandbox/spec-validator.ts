import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OpenAPIBackend } from 'openapi-backend';
import { parse } from 'yaml';

/**
 * Validates requests against the Berlin Group 1.3.12 OpenAPI file, as a strict
 * bank would. The file is 500 KB and compiling every operation takes seconds, so
 * one validator is built per process and shared by all sandbox banks.
 */

export const SPEC_FILE_NAME = 'psd2-api_v1.3.12-2022-07-06.yaml';

export interface SpecViolation {
  /** FORMAT_ERROR, or PARAMETER_NOT_SUPPORTED for a query parameter the spec does not know. */
  code: 'FORMAT_ERROR' | 'PARAMETER_NOT_SUPPORTED';
  /** The offending field: a body path ("frequencyPerDay", "access.accounts"), a header ("PSU-IP-Address") or a query parameter. */
  path?: string;
  text: string;
}

export interface SpecRequest {
  method: string;
  /** The path as the spec writes it, e.g. "/v1/consents" (the bank's prefix already stripped). */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export interface SpecValidator {
  /** Undefined when the request is valid. */
  validate(req: SpecRequest): SpecViolation | undefined;
  /** How long parsing and compiling took, in milliseconds. */
  readonly buildMs: { parse: number; compile: number };
}

/** The spec's path: SANDBOX_SPEC_PATH, else ../shared/spec from the project root. */
export function resolveSpecPath(): string {
  if (process.env.SANDBOX_SPEC_PATH) return resolve(process.env.SANDBOX_SPEC_PATH);
  const candidates = [
    join(process.cwd(), '..', 'shared', 'spec', SPEC_FILE_NAME),
    join(__dirname, '..', '..', 'shared', 'spec', SPEC_FILE_NAME),
    join(__dirname, '..', '..', '..', 'shared', 'spec', SPEC_FILE_NAME),
  ];
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

let shared: Promise<SpecValidator> | undefined;

/** The process-wide validator, built on first use. */
export function getSpecValidator(): Promise<SpecValidator> {
  shared ??= buildSpecValidator(resolveSpecPath()).catch((err) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

/** The spec's own quirks that ajv (draft-07 rules) refuses; fixed in memory, the file stays untouched. */
function normaliseForAjv(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  // OpenAPI 3.0 allows boolean exclusiveMinimum; `false` means "no effect".
  if (typeof o.exclusiveMinimum === 'boolean') delete o.exclusiveMinimum;
  if (typeof o.exclusiveMaximum === 'boolean') delete o.exclusiveMaximum;
  for (const v of Object.values(o)) normaliseForAjv(v);
}

const FORMATS: Record<string, RegExp> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  date: /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/,
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i,
  ipv4: /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/,
  uri: /^[a-z][a-z0-9+.-]*:[^\s]*$/i,
};

/**
 * The operations the sandbox banks serve. Compiling only these keeps start-up to a fraction of
 * compiling all ~60 operations of the file (signing baskets, authorisation sub-resources, ...),
 * which the banks answer with 404/405 before validation anyway.
 */
export const SERVED_OPERATIONS: Record<string, readonly string[]> = {
  '/v1/consents': ['post'],
  '/v1/consents/{consentId}': ['get', 'delete'],
  '/v1/consents/{consentId}/status': ['get'],
  '/v1/accounts': ['get'],
  '/v1/accounts/{account-id}': ['get'],
  '/v1/accounts/{account-id}/balances': ['get'],
  '/v1/accounts/{account-id}/transactions': ['get'],
  '/v1/card-accounts': ['get'],
  '/v1/card-accounts/{account-id}': ['get'],
  '/v1/card-accounts/{account-id}/balances': ['get'],
  '/v1/card-accounts/{account-id}/transactions': ['get'],
  '/v1/{payment-service}/{payment-product}': ['post'],
  '/v1/{payment-service}/{payment-product}/{paymentId}': ['get', 'delete'],
  '/v1/{payment-service}/{payment-product}/{paymentId}/status': ['get'],
  '/v1/funds-confirmations': ['post'],
};

function keepServedOperations(doc: Record<string, unknown>, served: Record<string, readonly string[]>): void {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, unknown>>;
  for (const [path, item] of Object.entries(paths)) {
    const methods = served[path.trim()];
    if (!methods) {
      delete paths[path];
      continue;
    }
    for (const key of Object.keys(item)) {
      if (['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'].includes(key) && !methods.includes(key))
        delete item[key];
    }
  }
}

export async function buildSpecValidator(
  specPath: string,
  served: Record<string, readonly string[]> | 'all' = SERVED_OPERATIONS,
): Promise<SpecValidator> {
  const t0 = performance.now();
  const doc = parse(readFileSync(specPath, 'utf8')) as Record<string, unknown>;
  const t1 = performance.now();
  if (served !== 'all') keepServedOperations(doc, served);
  normaliseForAjv(doc);
  doc.servers = [{ url: '/' }];
  const api = new OpenAPIBackend({
    definition: doc as never,
    // quick: skips the meta-validation of the (fixed, known) file and the eager response validators,
    // which made up most of the 5-24 s start-up; the request validators are compiled right after
    // init, so the first request of each operation does not pay for compilation.
    quick: true,
    validate: true,
    strict: false,
    coerceTypes: true,
    // The spec writes `\-` in patterns, which unicode-mode regexes reject.
    ajvOpts: { strict: false, unicodeRegExp: false, logger: false, allErrors: true } as never,
    customizeAjv: (ajv) => {
      for (const [name, re] of Object.entries(FORMATS)) ajv.addFormat(name, re);
      for (const name of ['byte', 'binary', 'ipv6', 'email', 'password', 'int32', 'int64']) ajv.addFormat(name, true);
      return ajv;
    },
  });
  await api.init();
  (api.validator as unknown as { preCompileRequestValidators(): void }).preCompileRequestValidators();
  const buildMs = { parse: Math.round(t1 - t0), compile: Math.round(performance.now() - t1) };

  return {
    buildMs,
    validate(req) {
      const operation = api.router.matchOperation({
        method: req.method.toLowerCase(),
        path: req.path,
        headers: {},
      });
      if (!operation)
        return {
          code: 'FORMAT_ERROR',
          text: `${req.method} ${req.path} is not an operation of the Berlin Group 1.3.12 API`,
        };
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = v;
      const result = api.validateRequest(
        { method: req.method.toLowerCase(), path: req.path, query: req.query, headers, body: req.body },
        operation,
      );
      if (result.valid || !result.errors?.length) return undefined;
      return describeErrors(result.errors as AjvError[]);
    },
  };
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

const HEADER_NAMES: Record<string, string> = {
  'x-request-id': 'X-Request-ID',
  'psu-ip-address': 'PSU-IP-Address',
  'consent-id': 'Consent-ID',
  'tpp-redirect-uri': 'TPP-Redirect-URI',
  'tpp-nok-redirect-uri': 'TPP-Nok-Redirect-URI',
  'psu-id': 'PSU-ID',
};

/** One violation naming the first field, with every problem in the text. */
function describeErrors(errors: AjvError[]): SpecViolation {
  // oneOf failures repeat each branch's errors; the summary line adds nothing a developer can act on.
  const useful = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const list = useful.length ? useful : errors;
  const described = list.map((e) => {
    const segments = e.instancePath.split('/').filter(Boolean);
    const where = segments.shift();
    if (e.keyword === 'required' && typeof e.params.missingProperty === 'string')
      segments.push(e.params.missingProperty);
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string')
      segments.push(e.params.additionalProperty);
    let field = segments.join('.');
    let kind: 'body' | 'header' | 'query' | 'path' = 'body';
    if (where === 'header') {
      kind = 'header';
      field = HEADER_NAMES[field] ?? field;
    } else if (where === 'query') kind = 'query';
    else if (where === 'params' || where === 'path') kind = 'path';
    const unsupported = kind === 'query' && e.keyword === 'additionalProperties';
    const what =
      e.keyword === 'required'
        ? `${kind} ${kind === 'body' ? 'field' : 'parameter'} ${field} is required`
        : unsupported
          ? `query parameter ${field} is not supported`
          : `${kind} ${field || '(root)'} ${e.message ?? 'is invalid'}${e.params.allowedValues ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`;
    return { field, text: what, unsupported };
  });
  const first = described[0];
  const texts = [...new Set(described.map((d) => d.text))];
  return {
    code: first.unsupported ? 'PARAMETER_NOT_SUPPORTED' : 'FORMAT_ERROR',
    path: first.field || undefined,
    text: texts.join('; '),
  };
}
