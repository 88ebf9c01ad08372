import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PemPair } from '../certs/types';
import { Xs2aSigner } from '../signing';
import type { SignatureHeaders, SignatureStyle } from '../signing/types';
import type { SigningJob, SigningReply } from './signing-worker';

/** What the transport needs from a signer: Xs2aSigner (synchronous) or WorkerPoolSigner (asynchronous). */
export interface RequestSigner {
  sign(headers: Record<string, string>, body: Uint8Array | undefined): SignatureHeaders | Promise<SignatureHeaders>;
}

export interface WorkerPoolSignerOptions {
  /** Worker threads. Default 1: one core signing while the main thread does TLS and HTTP. */
  threads?: number;
}

interface Pending {
  resolve: (headers: SignatureHeaders) => void;
  reject: (err: Error) => void;
}

/**
 * Xs2aSigner in worker threads. An RSA signature costs about as much CPU as
 * the whole rest of a keep-alive mTLS request, so signing on the event loop
 * halves the request rate of a busy worker; here the loop only posts the
 * headers and gets three header values back. Same signatures, byte for byte:
 * each worker runs an Xs2aSigner with the same QSEAL and style.
 */
export class WorkerPoolSigner implements RequestSigner {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[] = [];
  private nextId = 1;
  private closed = false;

  constructor(qseal: PemPair, style: SignatureStyle, opts: WorkerPoolSignerOptions = {}) {
    // Fails here, synchronously, on a key that does not match its certificate or a bad style.
    new Xs2aSigner(qseal, style);
    const threads = Math.max(1, opts.threads ?? 1);
    for (let i = 0; i < threads; i++) this.workers.push(this.startWorker(i, qseal, style));
  }

  sign(headers: Record<string, string>, body: Uint8Array | undefined): Promise<SignatureHeaders> {
    if (this.closed) return Promise.reject(new Error('WorkerPoolSigner is closed'));
    const id = this.nextId++;
    const index = this.leastLoaded();
    const worker = this.workers[index]!;
    return new Promise<SignatureHeaders>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (h) => {
          this.release(index);
          resolve(h);
        },
        reject: (e) => {
          this.release(index);
          reject(e);
        },
      });
      this.load[index]! += 1;
      if (this.load[index] === 1) worker.ref();
      worker.postMessage({ id, headers, body } satisfies SigningJob);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const p of this.pending.values()) p.reject(new Error('WorkerPoolSigner closed while signing'));
    this.pending.clear();
  }

  private startWorker(index: number, qseal: PemPair, style: SignatureStyle): Worker {
    // Under tsx (tests, benchmarks, `npm start`) the worker needs the same TypeScript loader.
    // Next to this file, with its extension: .ts under tsx and vitest, .js when built.
    const file = join(__dirname, `signing-worker${extname(__filename)}`);
    const worker = new Worker(file, {
      workerData: { qseal, style },
      execArgv: extname(file) === '.ts' ? ['--require', 'tsx/cjs'] : [],
    });
    this.load[index] = 0;
    worker.unref();
    worker.on('message', (reply: SigningReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      if ('error' in reply) pending.reject(new Error(`signing failed: ${reply.error}`));
      else pending.resolve(reply.headers as unknown as SignatureHeaders);
    });
    worker.on('error', (err) => {
      // A dead worker fails what it held; there is no silent fallback to signing on the loop.
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new Error(`signing worker failed: ${err.message}`));
      }
    });
    return worker;
  }

  private leastLoaded(): number {
    let best = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[best]!) best = i;
    return best;
  }

  private release(index: number): void {
    this.load[index]! -= 1;
    if (this.load[index] === 0) this.workers[index]!.unref();
  }
}
