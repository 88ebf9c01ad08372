import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { handleScaCallback, ScaCallbackError, type ScaSubjectRegistry } from '../../../services/sca-sessions';
import { scaSubjects } from '../../../services/sca-subjects';
import { isTemporalUnavailable } from '../../../services/temporal-errors';
import type { ApiApp, ApiDeps } from '../../deps';
import { sendProblem } from '../../problem';
import { errorPage, prefersJson } from './page';

/** RFC 6749 VSCHAR: what a state, a code and an error code are made of. */
const VSCHAR = /^[\x20-\x7e]*$/;

/**
 * The limits keep the longest callback the document admits within what the HTTP server reads
 * (16 KB of request line and headers, percent-encoded: 3 bytes an ASCII character, 12 a 4-byte
 * UTF-8 one); a longer one is a 400 page too (api/framework-errors.ts).
 */
const callbackQuerySchema = z.object({
  state: z.string().min(1).max(256).regex(VSCHAR).optional(),
  code: z.string().max(2048).regex(VSCHAR).optional(),
  error: z.string().max(128).regex(VSCHAR).optional(),
  error_description: z.string().max(512).optional(),
});

/**
 * One callback for every SCA session (a connection's consent, a payment): the state names the
 * session, and the session's subject type picks who is told and where the PSU goes.
 * `deps.scaSubjects` replaces the default registry (tests; a composition that adds subjects).
 */
export function callbackRoutes(app: ApiApp, deps: ApiDeps & { scaSubjects?: ScaSubjectRegistry }): void {
  const subjects = deps.scaSubjects ?? scaSubjects;

  /** The PSU's page, or problem+json where the client asked for JSON. */
  function refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    page: { title: string; message: string; retry?: boolean },
    detail: string,
  ) {
    if (prefersJson(request.headers.accept)) {
      return sendProblem(
        reply,
        request,
        status,
        detail,
        status < 500 ? { errors: [{ field: 'state', message: detail }] } : {},
      );
    }
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(errorPage(page.title, page.message, page.retry));
  }

  app.get(
    '/callback',
    {
      config: { public: true },
      schema: {
        tags: ['callback'],
        summary: "The PSU's return from the bank; redirects to the product's redirectUrl",
        description:
          'The bank sends the PSU here with the state of the authorisation session (and code or error). A known ' +
          "session answers 302 to the product's redirectUrl; errors are a short HTML page for the PSU's browser, " +
          'or RFC 9457 problem+json when Accept prefers JSON.',
        security: [],
        querystring: callbackQuerySchema,
      },
      // A mangled query must still give the PSU a page, not problem JSON.
      attachValidation: true,
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      if (request.validationError) {
        return refuse(
          request,
          reply,
          400,
          { title: 'This link is not valid', message: 'The bank sent you back with a link we cannot read.' },
          'the callback cannot be read: it needs a state',
        );
      }
      try {
        const result = await handleScaCallback(deps, subjects, request.query, request.ip);
        // connectionId or paymentId, as the product's redirect names it.
        const subject = { [`${result.subjectType}Id`]: result.subjectId };
        request.log.info({ ...subject, outcome: result.outcome }, 'PSU returned from the bank');
        return reply.redirect(result.redirectTo, 302);
      } catch (err) {
        if (err instanceof ScaCallbackError) {
          request.log.warn({ reason: err.message }, 'PSU callback refused');
          return err.status === 400
            ? refuse(
                request,
                reply,
                400,
                { title: 'This link is not valid', message: 'The bank sent you back with a link we cannot read.' },
                'the callback cannot be read: it needs a state',
              )
            : refuse(
                request,
                reply,
                404,
                { title: 'We could not complete the connection', message: 'This link is unknown or has expired.' },
                'no such authorisation session: the state is unknown or has expired',
              );
        }
        if (isTemporalUnavailable(err)) {
          // The PSU's answer is saved in the SCA session; a reload (or this page's own) hands it on.
          request.log.warn({ err }, 'PSU callback: Temporal is unavailable');
          reply.header('retry-after', '10');
          return refuse(
            request,
            reply,
            503,
            {
              title: 'Almost done',
              message:
                'Your answer from the bank is saved, but we cannot finish connecting right now. ' +
                'Please try again in a moment.',
              retry: true,
            },
            'the answer is saved but the workflow service is unavailable; retry in a moment',
          );
        }
        request.log.error({ err }, 'PSU callback failed');
        return refuse(
          request,
          reply,
          500,
          {
            title: 'Something went wrong',
            message: 'We could not complete the connection to your bank. Please try again in a moment.',
          },
          'internal error; the request id is in the x-request-id header',
        );
      }
    },
  );
}
