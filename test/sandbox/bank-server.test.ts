import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { BankServer, type BankRuntime } from '../../sandbox/bank-server';
import { NO_FAULTS } from '../../sandbox/faults';
import { RequestLog } from '../../sandbox/request-log';
import { createSandboxClock } from '../../sandbox/state';
import { generateSandboxCertificates, generateServerCertificate } from '../../xs2a/certs';

describe('BankServer injected latency', () => {
  it('a pending latency wait ends with close(): the request is dropped and its handling goes no further', async () => {
    let limiterCalls = 0;
    const rt = {
      bank: 'enfuce-rocker',
      clock: createSandboxClock(),
      faults: { ...NO_FAULTS, latencyMs: 400 },
      limiter: {
        take: () => {
          limiterCalls++;
          return { allowed: true };
        },
      },
      log: new RequestLog(),
      tppCaPems: [],
      side: { consentTpp: new Map(), paymentTpp: new Map() },
    } as unknown as BankRuntime;
    const ca = generateSandboxCertificates({ organizationName: 'Latency test CA' }).ca;
    const server = new BankServer(
      rt,
      [{ method: 'GET', pattern: '/slow', kind: 'api', handle: () => undefined }],
      generateServerCertificate(ca, { hostnames: ['localhost'], ips: ['127.0.0.1'] }),
    );
    const port = await server.listen(0, '127.0.0.1');
    const answered = new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/slow', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(`status ${res.statusCode}`);
      });
      req.on('error', (err) => resolve(`error ${err.message}`));
      req.end();
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const t0 = performance.now();
    await server.close();
    expect(await answered).toMatch(/^error /);
    expect(performance.now() - t0).toBeLessThan(200);
    // Past the latency: without the cancel, the pipeline would now go on to the rate limiter.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(limiterCalls).toBe(0);
    expect(rt.log.list()).toHaveLength(1);
  });
});
