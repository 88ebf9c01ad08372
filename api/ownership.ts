import { eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { accounts, connections } from '../db/schema';
import { mayActFor, type ApiPrincipal } from './auth/authenticate';
import { ApiProblem } from './problem';

/** Another customer's connection is as absent as a nonexistent one: never 403, which would reveal it exists. */
export function ownedConnection(db: Db, principal: ApiPrincipal, id: string) {
  const row = db.select().from(connections).where(eq(connections.id, id)).get();
  if (!row || !mayActFor(principal, row.customerId)) throw new ApiProblem(404, `no connection ${id}`);
  return row;
}

export function ownedAccount(db: Db, principal: ApiPrincipal, id: string) {
  const row = db
    .select({ account: accounts, customerId: connections.customerId })
    .from(accounts)
    .innerJoin(connections, eq(accounts.connectionId, connections.id))
    .where(eq(accounts.id, id))
    .get();
  if (!row || !mayActFor(principal, row.customerId)) throw new ApiProblem(404, `no account ${id}`);
  return row.account;
}
