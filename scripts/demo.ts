import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetch } from 'undici';
import { parseEnv } from '../config/env';
import { createLogger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { psuDecides } from '../sandbox/psu-driver';
import { startDemoReceiver } from './demo-webhooks';
import { startLocalService, type LocalService } from './local-service';

/**
 * `npm run demo`: the whole journey, headless, as a product and a PSU would do it:
 * create a connection through the API, approve on the bank's page, follow the
 * redirect through our callback, wait for the first sync, print what was synced;
 * then a payment at BEC (funds confirmation, initiation, approval, final status).
 * Runs its own service on free ports in a temporary folder and cleans up.
 */
async function main(): Promise<void> {
  const env = parseEnv({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', API_PORT: '0' });
  const logger = createLogger({ level: env.LOG_LEVEL, name: 'demo' });
  forwardTemporalLogs(logger);
  const dir = mkdtempSync(join(tmpdir(), 'ob-demo-'));
  say('Starting Temporal, the sandbox banks, the worker and the API...');
  const service = await startLocalService({
    env,
    logger,
    varDir: dir,
    ports: { api: 0, bec: 0, rocker: 0, st1: 0, admin: 0 },
  });
  // Webhooks (issue 11): a local receiver registered through the API; the events it got are printed at the end.
  const receiver = await startDemoReceiver(service.apiUrl, service.apiKey);
  say(`Registered a webhook endpoint at ${receiver.url}`);
  try {
    for (const [aspspId, psu] of [
      ['bec', 'bec-psu-1'],
      ['enfuce-rocker', 'rocker-psu-1'],
    ] as const) {
      await journey(service, aspspId, psu);
    }
    await payment(service);
    await receiver.print(say);
  } finally {
    await receiver.stop();
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function apiClient(service: LocalService) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${service.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${service.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

/** A payment at BEC: funds confirmation, initiation, the PSU's approval, the bank's final status. */
async function payment(service: LocalService): Promise<void> {
  const api = apiClient(service);
  const debtor = 'DK8004004012345678';
  const amount = { currency: 'DKK', amount: '125.50' };
  say('\n== bec: a payment of 125.50 DKK from bec-psu-1 to Vognmand Jensen ApS');
  const funds = await api<{ fundsAvailable: boolean }>('POST', '/v1/funds-confirmations', {
    aspspId: 'bec',
    customerId: 'demo-customer',
    account: { iban: debtor },
    instructedAmount: amount,
  });
  say(`   funds confirmation: fundsAvailable ${funds.fundsAvailable}`);
  const created = await api<{ id: string; status: string; authorisationUrl: string }>('POST', '/v1/payments', {
    aspspId: 'bec',
    customerId: 'demo-customer',
    product: 'sepa-credit-transfers',
    debtorAccount: { iban: debtor },
    creditorAccount: { iban: 'DK1961406140009127' },
    creditorName: 'Vognmand Jensen ApS',
    instructedAmount: amount,
    remittanceInformationUnstructured: 'Invoice 2024-117',
    redirectUrl: 'https://product.example/paid',
  });
  say(`   payment ${created.id} is ${created.status}; authorisation URL: ${created.authorisationUrl}`);
  const { location } = await psuDecides(created.authorisationUrl, service.sandbox.serverCaPem, 'approve', 'bec-psu-1');
  const callback = await fetch(location, { redirect: 'manual' });
  say(`   bec-psu-1 approved with MitID; our callback sent the PSU on to ${callback.headers.get('location')}`);
  const deadline = Date.now() + 60_000;
  let shown: {
    status: string;
    bankStatus: string | null;
    statusHistory: { status: string; bankStatus: string | null; at: string }[];
  };
  do {
    await new Promise((r) => setTimeout(r, 300));
    shown = await api('GET', `/v1/payments/${created.id}`);
  } while (!['completed', 'rejected', 'unknown', 'failed'].includes(shown.status) && Date.now() < deadline);
  say(`   status ${shown.status} (bank: ${shown.bankStatus}); history:`);
  console.table(shown.statusHistory.map((h) => ({ at: h.at, status: h.status, bankStatus: h.bankStatus ?? '' })));
}

async function journey(service: LocalService, aspspId: string, psu: string): Promise<void> {
  const api = apiClient(service);

  say(`\n== ${aspspId}: a connection for customer "demo-customer"`);
  const created = await api<{ id: string; authorisationUrl: string }>('POST', '/v1/connections', {
    aspspId,
    customerId: 'demo-customer',
    redirectUrl: 'https://product.example/connected',
  });
  say(`   authorisation URL: ${created.authorisationUrl}`);
  const { location } = await psuDecides(created.authorisationUrl, service.sandbox.serverCaPem, 'approve', psu);
  say(`   ${psu} approved on the bank's page; the bank sent the browser to our callback`);
  const callback = await fetch(location, { redirect: 'manual' });
  say(`   our callback sent the PSU on to ${callback.headers.get('location')}`);

  const deadline = Date.now() + 60_000;
  let connection: { status: string; lastSyncAt?: string; validUntil?: string };
  do {
    await new Promise((r) => setTimeout(r, 300));
    connection = await api('GET', `/v1/connections/${created.id}`);
  } while ((!connection.lastSyncAt || connection.status === 'awaiting_authorisation') && Date.now() < deadline);
  say(
    `   status ${connection.status}, consent valid until ${connection.validUntil}, first sync at ${connection.lastSyncAt}`,
  );

  const { accounts } = await api<{
    accounts: Array<{
      id: string;
      iban?: string;
      maskedPan?: string;
      name?: string;
      currency: string;
      balances: Array<{ type: string; amount: string }>;
    }>;
  }>('GET', `/v1/connections/${created.id}/accounts`);
  console.table(
    accounts.map((a) => ({
      account: a.iban ?? a.maskedPan,
      name: a.name,
      currency: a.currency,
      ...Object.fromEntries(a.balances.map((b) => [b.type, b.amount])),
    })),
  );
  for (const account of accounts) {
    const { transactions } = await api<{
      transactions: Array<{
        date: string;
        status: string;
        amount: string;
        currency: string;
        creditorName?: string;
        debtorName?: string;
        remittanceInformation?: string;
      }>;
    }>('GET', `/v1/accounts/${account.id}/transactions?limit=5`);
    say(`   latest transactions of ${account.iban ?? account.maskedPan}:`);
    console.table(
      transactions.map((t) => ({
        date: t.date,
        status: t.status,
        amount: `${t.amount} ${t.currency}`,
        counterparty: t.creditorName ?? t.debtorName ?? '',
        text: (t.remittanceInformation ?? '').slice(0, 40),
      })),
    );
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
