import { eq } from 'drizzle-orm';
import { accounts, transactions } from '../../db/schema';
import { connectionView } from '../../services/connections';
import type { ConnectionStatus, ConnectionView } from '../../workflows/connection/types';
import type { Stack } from '../helpers/stack';

/** Polls the workflow's status query until it matches (workflow state, not a sleep guess). */
export async function waitForStatus(
  stack: Stack,
  connectionId: string,
  status: ConnectionStatus | ConnectionStatus[],
  timeoutMs = 20_000,
): Promise<ConnectionView> {
  const wanted = Array.isArray(status) ? status : [status];
  const deadline = Date.now() + timeoutMs;
  let last: ConnectionView | undefined;
  while (Date.now() < deadline) {
    last = await connectionView(stack.deps, connectionId);
    if (wanted.includes(last.status)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `connection ${connectionId} is ${last?.status} (${last?.statusReason ?? ''} ${last?.lastError ?? ''}), not ${status}`,
  );
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function storedAccounts(stack: Stack, connectionId: string) {
  return stack.database.db.select().from(accounts).where(eq(accounts.connectionId, connectionId)).all();
}

export function storedTransactions(stack: Stack, accountId: string) {
  return stack.database.db.select().from(transactions).where(eq(transactions.accountId, accountId)).all();
}

/** Every workflow history of the run, as JSON text, to search for secrets. */
export async function historyText(stack: Stack, workflowId: string): Promise<string> {
  const history = await stack.deps.temporal.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
}
