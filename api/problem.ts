import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** RFC 9457 problem details; `errors` lists the fields at fault for validation problems. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { field: string; message: string }[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Thrown by handlers; the error handler turns it into problem+json. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly errors?: { field: string; message: string }[];
  readonly headers?: Record<string, string>;

  constructor(
    status: number,
    detail: string,
    options: { type?: string; errors?: { field: string; message: string }[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ApiProblem';
    this.status = status;
    this.type = options.type ?? 'about:blank';
    this.errors = options.errors;
    this.headers = options.headers;
  }
}

export function problemBody(
  status: number,
  detail: string | undefined,
  request: FastifyRequest,
  extra: Partial<Problem> = {},
): Problem {
  return {
    type: extra.type ?? 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    ...(detail ? { detail } : {}),
    // The path only: query strings may carry state or codes.
    instance: request.url.split('?')[0],
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  detail?: string,
  extra: Partial<Problem> = {},
) {
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemBody(status, detail, request, extra));
}

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** Response documentation shared by every authenticated route. */
export function problemResponses(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, problemSchema.describe(TITLES[s] ?? 'Error')]));
}
