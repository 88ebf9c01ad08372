import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * A request that failed its zod schema. `status` separates a request we cannot
 * read (400: wrong JSON types) from one we read but refuse (422: a missing or
 * invalid value).
 */
export class RequestValidationError extends Error {
  readonly statusCode: number;
  readonly validationContext: string;
  readonly errors: FieldError[];

  constructor(issues: z.core.$ZodIssue[], part: string, errors?: FieldError[]) {
    const fieldErrors =
      errors ?? issues.map((issue) => ({ field: fieldName(part, issue.path), message: issue.message }));
    super(fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'RequestValidationError';
    this.validationContext = part;
    this.errors = fieldErrors;
    // invalid_type with an input present is a wrong JSON type; with none it is a missing value (422).
    const wrongType = issues.some(
      (i) =>
        i.code === 'invalid_type' &&
        (i as { input?: unknown }).input !== undefined &&
        !(part === 'body' && BANK_CONTENT_FIELDS.has(String(i.path[0]))),
    );
    this.statusCode = wrongType ? 400 : 422;
  }
}

/**
 * Body members whose content is the bank's to judge (a Berlin Group object passed on): any fault
 * inside them, a wrong JSON type included, is a value the bank would refuse, so 422.
 */
const BANK_CONTENT_FIELDS = new Set(['access']);

/** How deep and how large any JSON the API reads may be: free-form objects included. */
export const JSON_LIMITS = { maxDepth: 32, maxNodes: 10_000, maxKeys: 200 } as const;

/**
 * The first place where `value` exceeds JSON_LIMITS, walked without recursion (a body 100,000
 * levels deep must not overflow the stack here either); undefined when it is within them.
 */
export function jsonLimitExceeded(
  value: unknown,
  limits: { maxDepth: number; maxNodes: number; maxKeys: number } = JSON_LIMITS,
): { path: string[]; message: string } | undefined {
  // The field named is the top-level member the problem is in (e.g. `access`): deeper paths are noise.
  const stack: { value: unknown; depth: number; field: string[] }[] = [{ value, depth: 0, field: [] }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value: current, depth, field } = stack.pop()!;
    if (++nodes > limits.maxNodes) return { path: field, message: `has more than ${limits.maxNodes} values` };
    if (current === null || typeof current !== 'object') continue;
    if (depth >= limits.maxDepth) return { path: field, message: `is nested more than ${limits.maxDepth} levels deep` };
    const keys = Object.keys(current);
    if (!Array.isArray(current) && keys.length > limits.maxKeys)
      return { path: field, message: `has an object with more than ${limits.maxKeys} members` };
    for (const key of keys) {
      stack.push({
        value: (current as Record<string, unknown>)[key],
        depth: depth + 1,
        field: depth === 0 ? [key] : field,
      });
    }
  }
  return undefined;
}

function fieldName(part: string, path: readonly PropertyKey[]): string {
  const inner = path.map(String).join('.');
  if (part === 'body') return inner || '(body)';
  if (part === 'querystring') return inner || '(query)';
  if (part === 'params') return inner || '(path)';
  return inner || part;
}

/** fastify-type-provider-zod's validator, but keeping the inputs so that 400 and 422 can be told apart. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  return (data: unknown) => {
    const part = httpPart ?? 'body';
    const exceeded = part === 'body' ? jsonLimitExceeded(data) : undefined;
    if (exceeded) {
      const field = fieldName(part, exceeded.path);
      return { error: new RequestValidationError([], part, [{ field, message: exceeded.message }]) };
    }
    const result = schema.safeParse(data, { reportInput: true });
    if (result.success) return { value: result.data };
    return { error: new RequestValidationError(result.error.issues, part) };
  };
};
