import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSandboxCertificates } from '../../../xs2a/certs';
import type { SandboxCertificateSet } from '../../../xs2a/certs/types';
import { RateBudget } from '../../../xs2a/limits/rate-budget';
import { UnattendedAccessCounter } from '../../../xs2a/limits/unattended-counter';
import type { BankProfile } from '../../../xs2a/profiles/types';
import { BEC_SIGNATURE_STYLE, Xs2aSigner, verifyXs2aRequest } from '../../../xs2a/signing';
import { HttpXs2aTransport } from '../../../xs2a/transport/http-client';
import { WorkerPoolSigner } from '../../../xs2a/transport/worker-signer';
import { testLogger } from '../../helpers/logger';
import { startMtlsServer, type MtlsServer } from '../../helpers/mtls-server';

let certs: SandboxCertificateSet;
let server: MtlsServer;
let signer: WorkerPoolSigner;

beforeAll(async () => {
  certs = generateSandboxCertificates();
  server = await startMtlsServer({
    ca: certs.ca,
    handler: () => ({ status: 201, body: { consentId: 'c-1' } }),
    requestCert: true,
  });
  signer = new WorkerPoolSigner(certs.qseal, BEC_SIGNATURE_STYLE, { threads: 2 });
});

afterAll(async () => {
  await signer?.close();
  await server?.close();
});

describe('WorkerPoolSigner', () => {
  it('signs exactly like Xs2aSigner: RSA PKCS#1 v1.5 is deterministic', async () => {
    const headers = {
      'X-Request-ID': '99391c7e-ad88-49ec-a2ad-99ddcb1f7721',
      'TPP-Redirect-URI': 'https://tpp.example/cb',
    };
    const body = Buffer.from('{"a":1}');
    expect(await signer.sign(headers, body)).toEqual(
      new Xs2aSigner(certs.qseal, BEC_SIGNATURE_STYLE).sign(headers, body),
    );
  });

  it('drives the transport: concurrent requests arrive signed and verify on the server', async () => {
    const profile: BankProfile = {
      id: 'worker-bank',
      name: 'Worker Bank',
      country: 'DK',
      environment: 'sandbox',
      services: ['ais'],
      family: 'berlin-group',
      scaApproach: 'redirect',
      baseUrl: server.url,
      paths: { consents: '/v1/consents', accounts: '/v1/accounts', accountKind: 'accounts' },
      signature: BEC_SIGNATURE_STYLE,
      consent: { maxValidityDays: 180, defaultFrequencyPerDay: 4, transactionHistoryDays: 90 },
    };
    const transport = new HttpXs2aTransport({
      profile,
      credentials: { qwac: certs.qwac, qseal: certs.qseal, bankCaPem: certs.ca.certificatePem },
      logger: testLogger(),
      signer,
      budget: new RateBudget({ perSecond: 1000, perDay: 1000 }),
      unattended: new UnattendedAccessCounter(),
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        transport.request({ method: 'POST', path: '/v1/consents', operation: 'POST /v1/consents', json: { i } }),
      ),
    );
    await transport.close();
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(server.requests).toHaveLength(20);
    for (const seen of server.requests) {
      expect(verifyXs2aRequest({ headers: seen.headers, body: seen.body }).ok).toBe(true);
    }
  });

  it('a worker that dies fails only its own jobs, and later sign() calls settle on a replacement', async () => {
    const pool = new WorkerPoolSigner(certs.qseal, BEC_SIGNATURE_STYLE, { threads: 1 });
    try {
      const headers = { 'X-Request-ID': 'r-1' };
      await pool.sign(headers, undefined);
      const worker = (pool as unknown as { workers: { terminate(): Promise<number> }[] }).workers[0];
      const inFlight = pool.sign(headers, undefined).then(
        () => 'resolved',
        (err: Error) => err.message,
      );
      await worker.terminate();
      const within = <T>(p: Promise<T>) =>
        Promise.race([
          p,
          new Promise<string>((resolve) => setTimeout(() => resolve('still pending after 1 s'), 1_000)),
        ]);
      // The job it held settles (signed before it died, or failed), and the next sign() works.
      expect(await within(inFlight)).toMatch(/^resolved$|signing worker/);
      const next = await within(pool.sign(headers, undefined));
      expect(next).toEqual(new Xs2aSigner(certs.qseal, BEC_SIGNATURE_STYLE).sign(headers, undefined));
    } finally {
      await pool.close();
    }
  });

  it("a worker's error rejects the jobs it held, not the other workers' jobs", async () => {
    const pool = new WorkerPoolSigner(certs.qseal, BEC_SIGNATURE_STYLE, { threads: 2 });
    try {
      const headers = { 'X-Request-ID': 'r-2' };
      // Least loaded first: one job on each worker, both in flight when worker 0 reports an error.
      const first = pool.sign(headers, undefined).then(
        () => 'resolved',
        (err: Error) => err.message,
      );
      const second = pool.sign(headers, undefined).then(
        () => 'resolved',
        (err: Error) => err.message,
      );
      (pool as unknown as { workers: { emit(event: string, err: Error): void }[] }).workers[0].emit(
        'error',
        new Error('boom'),
      );
      expect(await first).toBe('signing worker failed: boom');
      expect(await second).toBe('resolved');
      await expect(pool.sign(headers, undefined)).resolves.toHaveProperty('Signature');
    } finally {
      await pool.close();
    }
  });

  it('refuses a QSEAL whose key does not match its certificate when constructed, not later', () => {
    const other = generateSandboxCertificates();
    expect(
      () =>
        new WorkerPoolSigner(
          { certificatePem: certs.qseal.certificatePem, privateKeyPem: other.qseal.privateKeyPem },
          BEC_SIGNATURE_STYLE,
        ),
    ).toThrow();
  });
});
