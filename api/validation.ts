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

  constructor(issues: z.core.$ZodIssue[], part: string) {
    const errors = issues.map((issue) => ({ field: fieldName(part, issue.path), message: issue.message }));
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'RequestValidationError';
    this.validationContext = part;
    this.errors = errors;
    // invalid_type with an input present is a wrong JSON type; with none it is a missing value (422).
    const wrongType = issues.some((i) => i.code === 'invalid_type' && (i as { input?: unknown }).input !== undefined);
    this.statusCode = wrongType ? 400 : 422;
  }
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
    const result = schema.safeParse(data, { reportInput: true });
    if (result.success) return { value: result.data };
    return { error: new RequestValidationError(result.error.issues, httpPart ?? 'body') };
  };
};
