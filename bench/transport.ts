/**
 * Signing and transport benchmark (not a test).
 *
 *   npx tsx bench/transport.ts [--requests 3000] [--concurrency 16] [--server child|inprocess|both]
 *
 * (a) raw RSA signatures/s of the QSEAL key over a typical XS2A signing string (node:crypto, this thread);
 * (b) signed requests/s through HttpXs2aTransport over loopback mTLS with keep-alive;
 * (c) b / a: how close the transport comes to the signing bound (goal ≥ 90%);
 * (d) TLS handshakes per 1,000 requests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import { once } from 'node:events';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { createLogger } from '../logging/logger';
import { generateSandboxCertificates, generateServerCertificate } from '../xs2a/certs';
import type { SandboxCertificateSet } from '../xs2a/certs/types';
import { RateBudget } from '../xs2a/limits/rate-budget';
import type { BankProfile, TppCredentials } from '../xs2a/profiles/types';
import { BEC_SIGNATURE_STYLE, Xs2aSigner, computeDigest } from '../xs2a/signing';
import { createBankAgent } from '../xs2a/transport/agent';
import { HttpXs2aTransport } from '../xs2a/transport/http-client';
import { WorkerPoolSigner } from '../xs2a/transport/worker-signer';
import { startBenchServer, type BenchServerTls } from './transport-server';

type ServerMode = 'child' | 'inprocess';
type SignerMode = 'inline' | 'worker';

interface Args {
  requests: number;
  concurrency: number;
  server: ServerMode | 'both';
  signer: SignerMode | 'both';
}

function parseArgs(argv: string[]): Args {
  const args: Args = { requests: 3000, concurrency: 16, server: 'both', signer: 'both' };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--requests') args.requests = Number(value);
    else if (flag === '--concurrency') args.concurrency = Number(value);
    else if (flag === '--server' && (value === 'child' || value === 'inprocess' || value === 'both'))
      args.server = value;
    else if (flag === '--signer' && (value === 'inline' || value === 'worker' || value === 'both')) args.signer = value;
    else
      throw new Error(
        `unknown argument ${flag} ${value ?? ''}; usage: --requests N --concurrency C --server child|inprocess|both --signer inline|worker|both`,
      );
  }
  if (!(args.requests > 0) || !(args.concurrency > 0)) throw new Error('--requests and --concurrency must be positive');
  return args;
}

/** (a) The bound: RSA signatures/s with the QSEAL key, one thread, nothing else. */
function rawSigningRate(
  certs: SandboxCertificateSet,
  durationMs = 2000,
): { perSecond: number; cpuUsPerSignature: number } {
  const key = createPrivateKey(certs.qseal.privateKeyPem);
  const signingString = `digest: ${computeDigest('', 'SHA-256')}\nx-request-id: ${randomUUID()}`;
  for (let i = 0; i < 50; i++) sign('sha256', Buffer.from(signingString), key);
  let count = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    for (let i = 0; i < 20; i++) sign('sha256', Buffer.from(signingString), key);
    count += 20;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    perSecond: count / ((performance.now() - started) / 1000),
    cpuUsPerSignature: (cpu.user + cpu.system) / count,
  };
}

/** Xs2aSigner.sign() as the transport calls it: digest, signing string, RSA, header formatting. */
function signerRate(certs: SandboxCertificateSet, durationMs = 1000): number {
  const signer = new Xs2aSigner(certs.qseal, BEC_SIGNATURE_STYLE);
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < durationMs) {
    signer.sign({ 'X-Request-ID': randomUUID(), Accept: 'application/json', 'Consent-ID': 'c-1' }, undefined);
    count += 1;
  }
  return count / ((performance.now() - started) / 1000);
}

interface ServerHandle {
  port: number;
  connections(): Promise<number>;
  close(): Promise<void>;
}

async function startServer(mode: 'child' | 'inprocess', tls: BenchServerTls): Promise<ServerHandle> {
  if (mode === 'inprocess') {
    const server = await startBenchServer(tls);
    return { port: server.port, connections: async () => server.connections(), close: () => server.close() };
  }
  const child: ChildProcess = fork(require.resolve('./transport-server'), [], {
    execArgv: ['--require', 'tsx/cjs'],
    stdio: 'inherit',
  });
  const ask = async <T>(message: object, reply: string): Promise<T> => {
    child.send(message);
    for (;;) {
      const [answer] = (await once(child, 'message')) as [{ type: string } & T];
      if (answer.type === reply) return answer;
    }
  };
  const { port } = await ask<{ port: number }>({ type: 'start', tls }, 'started');
  return {
    port,
    connections: async () => (await ask<{ connections: number }>({ type: 'stats' }, 'stats')).connections,
    close: async () => {
      child.send({ type: 'stop' });
      await once(child, 'exit');
    },
  };
}

interface RunResult {
  server: ServerMode;
  signer: SignerMode;
  /** (a) measured just before this run. */
  rawSignaturesPerSecond: number;
  requestsPerSecond: number;
  ratioToSigning: number;
  /** Client CPU per request (this process: signing, TLS, HTTP, parsing), µs. */
  clientCpuUsPerRequest: number;
  /** Raw signing CPU / client CPU per request: the ratio a machine to ourselves would show. */
  cpuRatioToSigning: number;
  tlsHandshakes: number;
  handshakesPer1000: number;
  serverConnections: number;
  p50Ms: number;
  p99Ms: number;
}

async function runTransport(
  mode: ServerMode,
  signerMode: SignerMode,
  args: Args,
  certs: SandboxCertificateSet,
  signing: { perSecond: number; cpuUsPerSignature: number },
): Promise<RunResult> {
  const serverPair = generateServerCertificate(certs.ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] });
  const server = await startServer(mode, { caPem: certs.ca.certificatePem, ...serverPair });
  const credentials: TppCredentials = { qwac: certs.qwac, qseal: certs.qseal, bankCaPem: certs.ca.certificatePem };
  const profile: BankProfile = {
    id: 'bench-bank',
    name: 'Bench Bank',
    country: 'DK',
    environment: 'sandbox',
    services: ['ais'],
    family: 'berlin-group',
    scaApproach: 'redirect',
    baseUrl: `https://127.0.0.1:${server.port}/psd2/0400`,
    paths: { consents: '/v1/consents', accounts: '/v1/accounts', accountKind: 'accounts' },
    signature: BEC_SIGNATURE_STYLE,
    consent: { maxValidityDays: 180, defaultFrequencyPerDay: 4, transactionHistoryDays: 90 },
  };
  const agent = createBankAgent(credentials, { connections: args.concurrency });
  const workerSigner = signerMode === 'worker' ? new WorkerPoolSigner(certs.qseal, profile.signature) : undefined;
  const transport = new HttpXs2aTransport({
    profile,
    credentials,
    agent,
    signer: workerSigner,
    logger: createLogger({ level: 'silent' }),
    budget: new RateBudget({ perSecond: 1e9, perDay: 1e12 }),
  });
  const call = () =>
    transport.request({
      method: 'GET',
      path: '/v1/accounts',
      operation: 'GET /v1/accounts',
      consentId: 'bench-consent',
      accessToken: 'bench-token',
    });

  const runBatch = async (total: number, latencies?: number[]) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (next < total) {
          next += 1;
          const started = performance.now();
          await call();
          latencies?.push(performance.now() - started);
        }
      }),
    );
  };

  await runBatch(Math.min(200, args.requests)); // warm-up: sockets, JIT
  const handshakesBefore = transport.stats().tlsHandshakes;
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await runBatch(args.requests, latencies);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const clientCpuUsPerRequest = (cpu.user + cpu.system) / args.requests;
  const stats = transport.stats();
  const serverConnections = await server.connections();
  await transport.close();
  await agent.close();
  await workerSigner?.close();
  await server.close();

  latencies.sort((x, y) => x - y);
  const requestsPerSecond = args.requests / seconds;
  const handshakesInRun = stats.tlsHandshakes - handshakesBefore;
  return {
    server: mode,
    signer: signerMode,
    rawSignaturesPerSecond: signing.perSecond,
    requestsPerSecond,
    ratioToSigning: requestsPerSecond / signing.perSecond,
    clientCpuUsPerRequest,
    cpuRatioToSigning: signing.cpuUsPerSignature / clientCpuUsPerRequest,
    tlsHandshakes: stats.tlsHandshakes,
    // Per 1,000 requests over the whole life of the agent, warm-up included (the honest figure);
    // the measured run alone usually needs none.
    handshakesPer1000: (stats.tlsHandshakes / stats.requests) * 1000,
    serverConnections,
    p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    ...(handshakesInRun > 0 ? { handshakesDuringRun: handshakesInRun } : {}),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const certs = generateSandboxCertificates();
  const signing = rawSigningRate(certs);
  const signingRate = signing.perSecond;
  const signerCallsPerSecond = signerRate(certs);
  const servers: ServerMode[] = args.server === 'both' ? ['child', 'inprocess'] : [args.server];
  const signers: SignerMode[] = args.signer === 'both' ? ['inline', 'worker'] : [args.signer];
  const runs: RunResult[] = [];
  // The machine may be shared: the bound is measured again right before each run, and b/a uses that one.
  for (const server of servers) {
    for (const signer of signers)
      runs.push(await runTransport(server, signer, args, certs, rawSigningRate(certs, 1000)));
  }

  const fmt = (n: number, digits = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  console.log(
    `\nXS2A signing/transport benchmark: ${args.requests} requests, concurrency ${args.concurrency}, RSA-2048 QSEAL, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}\n`,
  );
  console.log(
    `(a) raw RSA-SHA256 signatures/s (node:crypto, 1 thread) ${fmt(signingRate)}   (${fmt(signing.cpuUsPerSignature)} µs CPU each)`,
  );
  console.log(`    Xs2aSigner.sign() calls/s                           ${fmt(signerCallsPerSecond)}`);
  console.log('');
  console.log(
    'server     signer   (a) sig/s   (b) signed req/s   (c) b/a   client CPU µs/req   CPU-bound b/a   (d) handshakes/1000 req   server conns   p50 ms   p99 ms',
  );
  for (const r of runs) {
    console.log(
      `${r.server.padEnd(10)} ${r.signer.padEnd(7)} ${fmt(r.rawSignaturesPerSecond).padStart(9)}   ${fmt(r.requestsPerSecond).padStart(16)}   ${fmt(r.ratioToSigning * 100, 1).padStart(6)}%   ${fmt(r.clientCpuUsPerRequest).padStart(17)}   ${fmt(r.cpuRatioToSigning * 100, 1).padStart(12)}%   ${fmt(r.handshakesPer1000, 2).padStart(23)}   ${String(r.serverConnections).padStart(12)}   ${fmt(r.p50Ms, 2).padStart(6)}   ${fmt(r.p99Ms, 2).padStart(6)}`,
    );
  }
  console.log('');
  console.log(
    JSON.stringify({
      bench: 'transport',
      requests: args.requests,
      concurrency: args.concurrency,
      node: process.version,
      rawSignaturesPerSecond: Math.round(signingRate),
      rawCpuUsPerSignature: Math.round(signing.cpuUsPerSignature),
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      cpus: os.cpus().length,
      signerCallsPerSecond: Math.round(signerCallsPerSecond),
      runs: runs.map((r) => ({
        ...r,
        rawSignaturesPerSecond: Math.round(r.rawSignaturesPerSecond),
        requestsPerSecond: Math.round(r.requestsPerSecond),
        ratioToSigning: Number(r.ratioToSigning.toFixed(3)),
        cpuRatioToSigning: Number(r.cpuRatioToSigning.toFixed(3)),
        clientCpuUsPerRequest: Math.round(r.clientCpuUsPerRequest),
        p50Ms: Number(r.p50Ms.toFixed(2)),
        p99Ms: Number(r.p99Ms.toFixed(2)),
      })),
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
