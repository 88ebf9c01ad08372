import { connectionView, createConnection } from '../../services/connections';
import type { ConnectionStatus, ConnectionView } from '../../workflows/connection/types';
import { ENCRYPTED_ENCODING, type EncryptionCodec } from '../../temporal/payload-codec';
import type { Stack } from '../helpers/stack';

/** A connection the PSU approved at the bank, once its workflow says active (its id). */
export async function approvedConnection(stack: Stack, aspspId: string, customerId: string): Promise<string> {
  const created = await createConnection(stack.deps, {
    customerId,
    aspspId,
    redirectUrl: 'https://p.example/r',
    psuIpAddress: '192.0.2.1',
  });
  await stack.psu(created.authorisationUrl, 'approve');
  await waitForStatus(stack, created.id, 'active');
  return created.id;
}

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

/** A connection's stored accounts (on either backend), current accounts (CACC) first. */
export async function storedAccounts(stack: Stack, connectionId: string) {
  const rows = await stack.db.select('accounts', { connectionId });
  const rank = (a: (typeof rows)[number]) => (a.cashAccountType === 'CACC' ? 0 : 1);
  return rows.sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : 1));
}

export function storedTransactions(stack: Stack, accountId: string) {
  return stack.db.select('transactions', { accountId });
}

const ENCRYPTED = Buffer.from(ENCRYPTED_ENCODING);

/** Decodes every encrypted payload in place, so a search sees what the codec would show. */
function decodePayloads(node: unknown, codec: EncryptionCodec): unknown {
  if (Array.isArray(node)) return node.map((item) => decodePayloads(item, codec));
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return node;
  const record = node as Record<string, unknown>;
  const metadata = record.metadata as Record<string, Uint8Array> | undefined;
  const encoding = metadata?.encoding;
  if (encoding instanceof Uint8Array && ENCRYPTED.equals(Buffer.from(encoding)) && record.data instanceof Uint8Array)
    return codec.decodeOne(record);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, decodePayloads(v, codec)]));
}

/** Bytes as UTF-8 text before JSON.stringify (a Buffer's toJSON would hide them as number arrays). */
function bytesAsText(node: unknown): unknown {
  if (node instanceof Uint8Array) return Buffer.from(node).toString('utf8');
  if (Array.isArray(node)) return node.map(bytesAsText);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, bytesAsText(v)]));
}

/** The raw history as the server stores it (encrypted payloads), as JSON text. */
export async function rawHistoryText(stack: Stack, workflowId: string): Promise<string> {
  const history = await stack.deps.temporal.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(bytesAsText(history));
}

/** Every workflow history of the run, decoded with the stack's payload codec, as JSON text, to search for secrets. */
export async function historyText(stack: Stack, workflowId: string): Promise<string> {
  const history = await stack.deps.temporal.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(bytesAsText(decodePayloads(history, stack.payloadCodec)));
}
