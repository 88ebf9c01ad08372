import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { fetch } from 'undici';

interface DemoEvent {
  type: string;
  id: string;
  createdAt: string;
  data: Record<string, unknown>;
}

/**
 * The demo's "product backend": a local webhook receiver registered through the API, verifying
 * each webhook with the standardwebhooks library as a product would.
 */
export async function startDemoReceiver(apiUrl: string, apiKey: string) {
  const received: { event: DemoEvent; verified: boolean; webhookId: string }[] = [];
  // Set once the endpoint is registered (its secret comes back then).
  const verifier: { wh?: Webhook } = {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified = false;
      try {
        verifier.wh?.verify(body, req.headers as Record<string, string>);
        verified = verifier.wh !== undefined;
      } catch {
        verified = false;
      }
      received.push({ event: JSON.parse(body) as DemoEvent, verified, webhookId: String(req.headers['webhook-id']) });
      res.writeHead(verified ? 204 : 400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const res = await fetch(`${apiUrl}/v1/webhook-endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, description: 'npm run demo' }),
  });
  const created = (await res.json()) as { id: string; secret: string };
  if (!res.ok) throw new Error(`registering the webhook endpoint: ${res.status} ${JSON.stringify(created)}`);
  verifier.wh = new Webhook(created.secret);

  return {
    url,
    endpointId: created.id,
    /** Waits briefly for stragglers, then prints one line per webhook received. */
    async print(say: (line: string) => void, settleMs = 2_000): Promise<void> {
      await new Promise((r) => setTimeout(r, settleMs));
      say(`\n== webhooks received at ${url} (signatures checked with standardwebhooks)`);
      for (const { event, verified, webhookId } of received) {
        const d = event.data;
        const what =
          event.type === 'connection.status_changed'
            ? `${String(d.previousStatus)} → ${String(d.status)}`
            : event.type === 'connection.sync_completed'
              ? `${String(d.accounts)} accounts, transactions ${JSON.stringify(d.transactions)}`
              : JSON.stringify(d);
        say(
          `   ${verified ? '✓' : '✗ UNVERIFIED'} ${event.createdAt} ${event.type} ${String(d.connectionId ?? d.paymentId)} ${what} (webhook-id ${webhookId})`,
        );
      }
      if (received.length === 0) say('   (none yet)');
    },
    async stop(): Promise<void> {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
