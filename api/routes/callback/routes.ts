import { z } from 'zod';
import { handleScaCallback, ScaCallbackError, type ScaSubjectRegistry } from '../../../services/sca-sessions';
import { scaSubjects } from '../../../services/sca-subjects';
import { isTemporalUnavailable } from '../../../services/temporal-errors';
import type { ApiApp, ApiDeps } from '../../deps';

const callbackQuerySchema = z.object({
  state: z.string().max(2048).optional(),
  code: z.string().max(4096).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
});

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The PSU is a person in a browser: a short page, never JSON or a stack trace. */
export function errorPage(title: string, message: string, retry = false): string {
  const next = retry
    ? '<p><a href="">Try again</a> (this page reloads itself in a few seconds).</p>'
    : '<p>Please return to the app you came from and start connecting your bank again.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${
    retry ? '<meta http-equiv="refresh" content="10">' : ''
  }<title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
${next}
</body></html>`;
}

/**
 * One callback for every SCA session (a connection's consent, a payment): the state names the
 * session, and the session's subject type picks who is told and where the PSU goes.
 * `deps.scaSubjects` replaces the default registry (tests; a composition that adds subjects).
 */
export function callbackRoutes(app: ApiApp, deps: ApiDeps & { scaSubjects?: ScaSubjectRegistry }): void {
  const subjects = deps.scaSubjects ?? scaSubjects;
  app.get(
    '/callback',
    {
      config: { public: true },
      schema: {
        tags: ['callback'],
        summary: "The PSU's return from the bank; redirects to the product's redirectUrl",
        security: [],
        querystring: callbackQuerySchema,
      },
      // A mangled query must still give the PSU a page, not problem JSON.
      attachValidation: true,
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      if (request.validationError) {
        return reply
          .code(400)
          .type('text/html; charset=utf-8')
          .send(errorPage('This link is not valid', 'The bank sent you back with a link we cannot read.'));
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
          return reply
            .code(400)
            .type('text/html; charset=utf-8')
            .send(errorPage('We could not complete the connection', 'This link is unknown or has expired.'));
        }
        if (isTemporalUnavailable(err)) {
          // The PSU's answer is saved in the SCA session; a reload (or this page's own) hands it on.
          request.log.warn({ err }, 'PSU callback: Temporal is unavailable');
          return reply
            .code(503)
            .header('retry-after', '10')
            .type('text/html; charset=utf-8')
            .send(
              errorPage(
                'Almost done',
                'Your answer from the bank is saved, but we cannot finish connecting right now. ' +
                  'Please try again in a moment.',
                true,
              ),
            );
        }
        request.log.error({ err }, 'PSU callback failed');
        return reply
          .code(500)
          .type('text/html; charset=utf-8')
          .send(
            errorPage(
              'Something went wrong',
              'We could not complete the connection to your bank. Please try again in a moment.',
            ),
          );
      }
    },
  );
}
