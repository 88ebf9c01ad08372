import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  headers: IncomingHttpHeaders;
  /** Which of the receiver's secrets verified it with the standardwebhooks library. */
  verifiedBy: string[];
  at: number;
}

export type Responder = (
  message: Received,
  index: number,
) => { status: number; headers?: Record<string, string> } | 'hang';

/**
 * A product's webhook receiver on 127.0.0.1: records every request and checks its signature with
 * the reference library (standardwebhooks) against each secret it was given.
 */
export class Receiver {
  readonly received: Received[] = [];
  secrets: string[] = [];
  respond: Responder = () => ({ status: 204 });
  private server!: Server;
  private hanging = new Set<() => void>();
  url = '';

  async start(path = '/hooks'): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = {
          'webhook-id': String(req.headers['webhook-id'] ?? ''),
          'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
        };
        const verifiedBy = this.secrets.filter((secret) => {
          try {
            new Webhook(secret).verify(body, headers);
            return true;
          } catch {
            return false;
          }
        });
        const message: Received = {
          id: headers['webhook-id'],
          timestamp: headers['webhook-timestamp'],
          signature: headers['webhook-signature'],
          body,
          headers: req.headers,
          verifiedBy,
          at: Date.now(),
        };
        this.received.push(message);
        const answer = this.respond(message, this.received.length - 1);
        if (answer === 'hang') {
          const end = () => res.destroy();
          this.hanging.add(end);
          res.on('close', () => this.hanging.delete(end));
          return;
        }
        res.writeHead(answer.status, answer.headers);
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  events(): { type: string; id: string; createdAt: string; data: Record<string, unknown> }[] {
    return this.received.map((r) => JSON.parse(r.body));
  }

  async stop(): Promise<void> {
    for (const end of this.hanging) end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
