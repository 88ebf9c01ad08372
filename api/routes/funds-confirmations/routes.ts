import { confirmFunds } from '../../../services/payments';
import { principalOf } from '../../auth/authenticate';
import { requireCustomer } from '../../ownership';
import type { ApiApp, ApiDeps } from '../../deps';
import { problemResponses, problemSchema } from '../../problem';
import { paymentCall } from '../payments/errors';
import { fundsConfirmationBody, fundsConfirmationSchema } from '../payments/schemas';

/** PIIS: asks the bank whether the amount is available on the account right now; never cached. */
export function fundsConfirmationRoutes(app: ApiApp, deps: ApiDeps): void {
  app.post(
    '/v1/funds-confirmations',
    {
      config: { scope: 'payments:write' },
      schema: {
        tags: ['payments'],
        summary: 'Is the amount available on the account? Asked of the bank on every call (PIIS)',
        body: fundsConfirmationBody,
        response: {
          200: fundsConfirmationSchema,
          ...problemResponses(400, 401, 403, 422, 502),
          404: problemSchema.describe(
            'No such account: its IBAN fails the check digits (ISO 13616), or the bank knows no such account',
          ),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      requireCustomer(principal, request.body.customerId);
      const result = await paymentCall(() => confirmFunds(deps, request.body));
      return reply.header('cache-control', 'no-store').send(result);
    },
  );
}
