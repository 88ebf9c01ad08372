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
