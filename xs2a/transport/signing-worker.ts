import { parentPort, workerData } from 'node:worker_threads';
import type { PemPair } from '../certs/types';
import { Xs2aSigner } from '../signing';
import type { SignatureStyle } from '../signing/types';

/** Worker side of WorkerPoolSigner: the QSEAL's RSA signing, off the event loop that drives the sockets. */
export interface SigningJob {
  id: number;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export type SigningReply = { id: number; headers: Record<string, string> } | { id: number; error: string };

if (parentPort) {
  const { qseal, style } = workerData as { qseal: PemPair; style: SignatureStyle };
  const signer = new Xs2aSigner(qseal, style);
  const port = parentPort;
  port.on('message', (job: SigningJob) => {
    try {
      const headers = signer.sign(job.headers, job.body);
      port.postMessage({ id: job.id, headers: { ...headers } } satisfies SigningReply);
    } catch (err) {
      // Only the message crosses back: it names the problem, never key material.
      port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) } satisfies SigningReply);
    }
  });
}
