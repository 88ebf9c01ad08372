import type { FastifyRequest } from 'fastify';
import type { ConnectionRecord } from '../../../repositories';
import { createConnection, deleteConnection, reauthorise, syncNow } from '../../../services/connections';
import { TERMINAL_STATUSES } from '../../../workflows/connection/contract';
import { principalOf } from '../../auth/authenticate';
import type { ApiApp, ApiDeps } from '../../deps';
import { accessFaultsFor, accountsThatCannotExist } from '../../access-schema';
import { idempotentCreate } from '../../idempotency';
import { customersToList, ownedConnection, requireCustomer } from '../../ownership';
import { ApiProblem, problemResponses, problemSchema } from '../../problem';
import { decodeCreatedCursor, encodeCreatedCursor } from '../../pagination/created-cursor';
import {
  authorisationResponse,
  connectionIdParams,
  connectionListSchema,
  connectionSchema,
  createConnectionBody,
  idempotencyHeaders,
  listConnectionsQuery,
  psuHeaders,
  revokedSchema,
  syncBody,
  syncSummarySchema,
} from './schemas';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The PSU's address as named (X-PSU-IP-Address) and the request's own, for when none is named. */
function psuIp(request: FastifyRequest): { psuIpAddress?: string; requestIp: string } {
  const header = request.headers['x-psu-ip-address'];
  return { ...(typeof header === 'string' && header ? { psuIpAddress: header } : {}), requestIp: request.ip };
}

/** List and detail alike: the row the workflow keeps current, nothing merged from a live query. */
function connectionView(row: ConnectionRecord) {
  return {
    id: row.id,
    customerId: row.customerId,
    aspspId: row.aspspId,
    status: row.status,
    statusReason: row.statusReason,
    validUntil: row.validUntil,
    lastSyncAt: iso(row.lastSyncAt),
    nextSyncAt: iso(row.nextSyncAt),
    lastError: row.lastError,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

export function connectionRoutes(app: ApiApp, deps: ApiDeps): void {
  const now = () => (deps.now ?? Date.now)();

  app.post(
    '/v1/connections',
    {
      config: { scope: 'connections:write' },
      schema: {
        tags: ['connections'],
        summary: 'Connect a customer to a bank: returns the URL to send the PSU to',
        headers: idempotencyHeaders,
        body: createConnectionBody,
        response: {
          201: authorisationResponse,
          ...problemResponses(400, 401, 403, 409, 422),
          404: problemSchema.describe('No such account: access names an IBAN whose check digits fail (ISO 13616)'),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      requireCustomer(principal, body.customerId);
      // Checked before anything is stored or sent: a reference this bank's accounts cannot have,
      // or one naming no account at all.
      if (body.access && deps.banks.has(body.aspspId)) {
        const faults = accessFaultsFor(body.access, deps.banks.get(body.aspspId).profile.paths.accountKind);
        if (faults.length > 0) {
          throw new ApiProblem(422, `access names accounts ${body.aspspId} does not have`, { errors: faults });
        }
      }
      if (body.access) {
        const missing = accountsThatCannotExist(body.access);
        if (missing.length > 0) throw new ApiProblem(404, 'access names no such account', { errors: missing });
      }
      const input = { ...body, ...psuIp(request) };
      const created = await idempotentCreate(
        deps.repositories.idempotency,
        { apiKeyId: principal.keyId, key: request.headers['idempotency-key'], body, now: now(), idPrefix: 'con' },
        (connectionId) => createConnection(deps, { ...input, ...(connectionId ? { connectionId } : {}) }),
      );
      if (created.replayed) reply.header('idempotency-replayed', 'true');
      return reply.code(created.statusCode as 201).send(created.response);
    },
  );

  app.get(
    '/v1/connections',
    {
      config: { scope: 'connections:read' },
      schema: {
        tags: ['connections'],
        summary: "The API key's customers' connections, newest first, by cursor; customerId narrows to one customer",
        querystring: listConnectionsQuery,
        response: { 200: connectionListSchema, ...problemResponses(401, 403, 422) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { customerId, cursor, limit } = request.query;
      const page = await deps.repositories.connections.listByCustomers(customersToList(principal, customerId), {
        after: cursor ? decodeCreatedCursor(cursor) : undefined,
        limit: limit ?? 50,
      });
      return {
        connections: page.items.map(connectionView),
        ...(page.next ? { nextCursor: encodeCreatedCursor(page.next) } : {}),
      };
    },
  );

  app.get(
    '/v1/connections/:id',
    {
      config: { scope: 'connections:read' },
      schema: {
        tags: ['connections'],
        summary: 'One connection: status, consent validUntil, last and next sync, last error',
        params: connectionIdParams,
        response: { 200: connectionSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      return connectionView(await ownedConnection(deps.repositories, principalOf(request), request.params.id));
    },
  );

  app.post(
    '/v1/connections/:id/sync',
    {
      config: { scope: 'connections:write' },
      schema: {
        tags: ['connections'],
        summary: 'Sync now; with psuIpAddress the PSU is present and the read is not counted against frequencyPerDay',
        params: connectionIdParams,
        body: syncBody,
        response: { 200: syncSummarySchema, ...problemResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const row = await ownedConnection(deps.repositories, principalOf(request), request.params.id);
      if (TERMINAL_STATUSES.includes(row.status))
        throw new ApiProblem(409, `the connection is ${row.status}`, {
          errors: [{ field: 'status', message: row.status }],
        });
      const summary = await syncNow(deps, row.id, request.body?.psuIpAddress);
      return {
        ...summary,
        nextAllowedAt: summary.nextAllowedAt === undefined ? undefined : new Date(summary.nextAllowedAt).toISOString(),
        finishedAt: new Date(summary.finishedAt).toISOString(),
      };
    },
  );

  app.post(
    '/v1/connections/:id/reauthorise',
    {
      config: { scope: 'connections:write' },
      schema: {
        tags: ['connections'],
        summary: 'A new consent for the same connection (same account ids); returns the URL to send the PSU to',
        params: connectionIdParams,
        headers: psuHeaders,
        response: { 200: authorisationResponse, ...problemResponses(401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const row = await ownedConnection(deps.repositories, principalOf(request), request.params.id);
      if (TERMINAL_STATUSES.includes(row.status))
        throw new ApiProblem(409, `the connection is ${row.status}`, {
          errors: [{ field: 'status', message: row.status }],
        });
      const ip = psuIp(request);
      return reauthorise(deps, row.id, ip.psuIpAddress, ip.requestIp);
    },
  );

  app.delete(
    '/v1/connections/:id',
    {
      config: { scope: 'connections:write' },
      schema: {
        tags: ['connections'],
        summary: 'Revoke the consent at the bank and delete the connection',
        description:
          'Revokes the consent at the bank (a connection the PSU revoked already is just deleted) and deletes ' +
          'the connection: from then on GET, sync, reauthorise, its accounts and another DELETE answer 404 and ' +
          'the list leaves it out. A connection the PSU revoked at the bank, not deleted here, stays readable ' +
          'with status revoked.',
        params: connectionIdParams,
        response: { 200: revokedSchema, ...problemResponses(401, 403, 404, 409) },
      },
    },
    async (request) => {
      const row = await ownedConnection(deps.repositories, principalOf(request), request.params.id);
      await deleteConnection(deps, row.id);
      return { id: row.id, status: 'revoked' as const };
    },
  );
}
