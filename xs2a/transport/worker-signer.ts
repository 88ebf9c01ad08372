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
  /** The worker the job was posted to: only its death fails the job. */
  worker: Worker;
  index: number;
  resolve: (headers: SignatureHeaders) => void;
  reject: (err: Error) => void;
}

/**
 * Xs2aSigner in worker threads. An RSA signature costs about as much CPU as
 * the whole rest of a keep-alive mTLS request, so signing on the event loop
 * halves the request rate of a busy worker; here the loop only posts the
 * headers and gets three header values back. Same signatures, byte for byte:
 * each worker runs an Xs2aSigner with the same QSEAL and style.
 *
 * A worker that errors or exits fails the jobs it held (there is no silent
 * fallback to signing on the loop) and is replaced when its slot is next used,
 * so later calls settle instead of waiting on a dead thread.
 */
export class WorkerPoolSigner implements RequestSigner {
  private readonly workers: Worker[] = [];
  private readonly dead = new WeakSet<Worker>();
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly qseal: PemPair,
    private readonly style: SignatureStyle,
    opts: WorkerPoolSignerOptions = {},
  ) {
    // Fails here, synchronously, on a key that does not match its certificate or a bad style.
    new Xs2aSigner(qseal, style);
    const threads = Math.max(1, opts.threads ?? 1);
    for (let i = 0; i < threads; i++) this.workers.push(this.startWorker(i));
  }

  sign(headers: Record<string, string>, body: Uint8Array | undefined): Promise<SignatureHeaders> {
    if (this.closed) return Promise.reject(new Error('WorkerPoolSigner is closed'));
    const id = this.nextId++;
    const index = this.leastLoaded();
    if (this.dead.has(this.workers[index])) this.workers[index] = this.startWorker(index);
    const worker = this.workers[index];
    return new Promise<SignatureHeaders>((resolve, reject) => {
      this.pending.set(id, { worker, index, resolve, reject });
      this.load[index] += 1;
      if (this.load[index] === 1) worker.ref();
      worker.postMessage({ id, headers, body } satisfies SigningJob);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const id of [...this.pending.keys()])
      this.settle(id)?.reject(new Error('WorkerPoolSigner closed while signing'));
  }

  private startWorker(index: number): Worker {
    // Under tsx (tests, benchmarks, `npm start`) the worker needs the same TypeScript loader.
    // Next to this file, with its extension: .ts under tsx and vitest, .js when built.
    const file = join(__dirname, `signing-worker${extname(__filename)}`);
    const worker = new Worker(file, {
      workerData: { qseal: this.qseal, style: this.style },
      execArgv: extname(file) === '.ts' ? ['--require', 'tsx/cjs'] : [],
    });
    this.load[index] = 0;
    worker.unref();
    worker.on('message', (reply: SigningReply) => {
      const pending = this.settle(reply.id);
      if (!pending) return;
      if ('error' in reply) pending.reject(new Error(`signing failed: ${reply.error}`));
      else pending.resolve(reply.headers as unknown as SignatureHeaders);
    });
    worker.on('error', (err) => this.workerDied(worker, `signing worker failed: ${err.message}`));
    worker.on('exit', (code) => this.workerDied(worker, `signing worker exited (code ${code})`));
    return worker;
  }

  /** Fails what this worker held, and only that; the slot gets a new worker on its next job. */
  private workerDied(worker: Worker, message: string): void {
    if (!this.dead.has(worker)) {
      this.dead.add(worker);
      // After an 'error' the thread may still be running: make sure it is gone.
      void worker.terminate().catch(() => undefined);
    }
    const reason = this.closed ? 'WorkerPoolSigner closed while signing' : message;
    for (const [id, p] of [...this.pending]) {
      if (p.worker === worker) this.settle(id)?.reject(new Error(reason));
    }
  }

  /** Removes a pending job and releases its worker's load; undefined when it already settled. */
  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    // A replaced slot's count belongs to its new worker: a dead worker's jobs no longer count.
    if (this.workers[p.index] === p.worker) {
      this.load[p.index] -= 1;
      if (this.load[p.index] === 0) p.worker.unref();
    }
    return p;
  }

  private leastLoaded(): number {
    let best = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i] < this.load[best]) best = i;
    return best;
  }
}
