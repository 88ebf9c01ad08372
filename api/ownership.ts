import type { Repositories } from '../repositories';
import { mayActFor, type ApiPrincipal } from './auth/authenticate';
import { ApiProblem } from './problem';

/**
 * Another customer's connection is as absent as a nonexistent one: never 403, which would reveal it
 * exists. So is one a product deleted (DELETE): the row stays for audit, the API has it no more.
 */
export async function ownedConnection(
  repositories: Pick<Repositories, 'connections'>,
  principal: ApiPrincipal,
  id: string,
) {
  const row = await repositories.connections.get(id);
  if (!row || row.deletedAt !== null || !mayActFor(principal, row.customerId))
    throw new ApiProblem(404, `no connection ${id}`);
  return row;
}

export async function ownedAccount(repositories: Pick<Repositories, 'accounts'>, principal: ApiPrincipal, id: string) {
  const row = await repositories.accounts.get(id);
  if (!row || !mayActFor(principal, row.customerId)) throw new ApiProblem(404, `no account ${id}`);
  return row.account;
}

/** 403 naming customerId unless the key is issued for this customer. */
export function requireCustomer(principal: ApiPrincipal, customerId: string): void {
  if (!mayActFor(principal, customerId))
    throw new ApiProblem(403, 'this API key is not issued for this customer', {
      errors: [{ field: 'customerId', message: 'not allowed for this API key' }],
    });
}

/**
 * The customers a list covers: the one asked for (403 unless the key may act for it), else every
 * customer the key is issued for (null, for a key without customers: all).
 */
export function customersToList(principal: ApiPrincipal, customerId: string | undefined): readonly string[] | null {
  if (customerId === undefined) return principal.customerIds;
  requireCustomer(principal, customerId);
  return [customerId];
}
