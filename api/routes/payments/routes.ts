import type { FastifyRequest } from 'fastify';
import type { PaymentRecord } from '../../../repositories/payments';
import { cancelPayment, createPayment } from '../../../services/payments';
import { mayActFor, principalOf, type ApiPrincipal } from '../../auth/authenticate';
import { customersToList, requireCustomer } from '../../ownership';
import type { ApiApp, ApiDeps } from '../../deps';
import { idempotentCreate } from '../../idempotency';
import { ApiProblem, problemResponses, problemSchema } from '../../problem';
import { decodeCreatedCursor, encodeCreatedCursor } from '../../pagination/created-cursor';
import { paymentCall } from './errors';
import {
  cancelledSchema,
  createPaymentBody,
  listPaymentsQuery,
  paymentCreatedSchema,
  paymentHeaders,
  paymentIdParams,
  paymentListSchema,
  paymentSchema,
} from './schemas';

const iso = (ms: number) => new Date(ms).toISOString();

/** The PSU's address as named (the body's, else X-PSU-IP-Address) and the request's own, for when none is. */
function psuIp(request: FastifyRequest, fromBody?: string): { psuIpAddress?: string; requestIp: string } {
  const header = request.headers['x-psu-ip-address'];
  const named = fromBody || (typeof header === 'string' && header ? header : undefined);
  return { ...(named ? { psuIpAddress: named } : {}), requestIp: request.ip };
}

/** What a product sees of a payment: never the debtor's IBAN or the SCA session. */
export function paymentJson(row: PaymentRecord) {
  return {
    id: row.id,
    customerId: row.customerId,
    aspspId: row.aspspId,
    product: row.product,
    status: row.status,
    statusReason: row.statusReason,
    bankStatus: row.bankStatus,
    statusHistory: row.statusHistory.map((change) => ({
      status: change.status,
      bankStatus: change.bankStatus ?? null,
      at: iso(change.at),
    })),
    instructedAmount: { currency: row.currency, amount: row.amount },
    creditorName: row.creditorName,
    requestedExecutionDate: row.requestedExecutionDate,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    lastError: row.lastError,
    ...(row.status === 'awaiting_authorisation' && row.authorisationUrl
      ? { authorisationUrl: row.authorisationUrl }
      : {}),
  };
}

export function paymentRoutes(app: ApiApp, deps: ApiDeps): void {
  const now = () => (deps.now ?? Date.now)();
  // Read at request time: the repositories are the app's (app.repositories), not the plugin's.
  const payments = () => deps.repositories.payments;

  /** Another customer's payment is as absent as a nonexistent one: never 403, which would reveal it exists. */
  async function ownedPayment(principal: ApiPrincipal, id: string): Promise<PaymentRecord> {
    const row = await payments().get(id);
    if (!row || !mayActFor(principal, row.customerId)) throw new ApiProblem(404, `no payment ${id}`);
    return row;
  }

  app.post(
    '/v1/payments',
    {
      config: { scope: 'payments:write' },
      schema: {
        tags: ['payments'],
        summary: 'Initiate a payment at the bank: returns the URL where the PSU approves it',
        headers: paymentHeaders,
        body: createPaymentBody,
        response: {
          201: paymentCreatedSchema,
          ...problemResponses(400, 401, 403, 409, 422, 502),
          404: problemSchema.describe('No such account: an IBAN named fails its check digits (ISO 13616)'),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      requireCustomer(principal, body.customerId);
      const input = { ...body, ...psuIp(request, body.psuIpAddress) };
      // A retry after a crash lands on the same payment: the key's stable id is the payment's id.
      const created = await idempotentCreate(
        deps.repositories.idempotency,
        { apiKeyId: principal.keyId, key: request.headers['idempotency-key'], body, now: now(), idPrefix: 'pay' },
        (paymentId) => paymentCall(() => createPayment(deps, { ...input, ...(paymentId ? { paymentId } : {}) })),
      );
      if (created.replayed) reply.header('idempotency-replayed', 'true');
      return reply.code(created.statusCode as 201).send(created.response);
    },
  );

  app.get(
    '/v1/payments',
    {
      config: { scope: 'payments:read' },
      schema: {
        tags: ['payments'],
        summary: "The API key's customers' payments, newest first, by cursor; customerId narrows to one customer",
        querystring: listPaymentsQuery,
        response: { 200: paymentListSchema, ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { customerId } = request.query;
      const page = await payments().list({
        customerIds: customersToList(principal, customerId),
        status: request.query.status,
        after: request.query.cursor ? decodeCreatedCursor(request.query.cursor) : undefined,
        limit: request.query.limit ?? 50,
      });
      return {
        payments: page.items.map(paymentJson),
        ...(page.next ? { nextCursor: encodeCreatedCursor(page.next) } : {}),
      };
    },
  );

  app.get(
    '/v1/payments/:id',
    {
      config: { scope: 'payments:read' },
      schema: {
        tags: ['payments'],
        summary: 'One payment: our status, the bank’s ISO status and its history',
        params: paymentIdParams,
        response: { 200: paymentSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => paymentJson(await ownedPayment(principalOf(request), request.params.id)),
  );

  app.delete(
    '/v1/payments/:id',
    {
      config: { scope: 'payments:write' },
      schema: {
        tags: ['payments'],
        summary: 'Cancel the payment while the bank allows it (BEC: until the PSU has approved it); else 409',
        params: paymentIdParams,
        response: { 200: cancelledSchema, ...problemResponses(401, 403, 404, 409, 502) },
      },
    },
    async (request) => {
      const row = await ownedPayment(principalOf(request), request.params.id);
      const result = await paymentCall(() => cancelPayment(deps, row));
      return { id: row.id, status: 'cancelled' as const, bankStatus: result.bankStatus ?? null };
    },
  );
}
