/**
 * The production worker entry point (worker/main.ts) as its own process: WORKER_METRICS_PORT opens
 * our /metrics listener and TEMPORAL_METRICS_ADDRESS the SDK's; both answer while the worker runs,
 * and SIGTERM stops it cleanly.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/local-service';
import { generateSandboxCertificates, writeCertificateSet } from '../../xs2a/certs';

async function scrape(url: string, until: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      last = await (await fetch(url)).text();
      if (until.test(last)) return last;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

describe('worker process metrics', () => {
  it('serves our /metrics and Temporal’s while running, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ob-worker-metrics-'));
    const paths = writeCertificateSet(generateSandboxCertificates({ keyBits: 1024 }), join(dir, 'certs'));
    writeFileSync(
      join(dir, 'banks.yaml'),
      '- { preset: bec, bankId: "0400", environment: sandbox, baseUrl: "https://127.0.0.1:9/psd2/0400" }\n',
    );
    const [ours, theirs] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: `metrics-${randomBytes(4).toString('hex')}`,
        DATABASE_PATH: join(dir, 'db.sqlite'),
        TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        BANK_PROFILES_FILE: join(dir, 'banks.yaml'),
        QWAC_CERT_PATH: paths.qwac.certificate,
        QWAC_KEY_PATH: paths.qwac.privateKey,
        QSEAL_CERT_PATH: paths.qseal.certificate,
        QSEAL_KEY_PATH: paths.qseal.privateKey,
        BANK_CA_PATH: paths.ca.certificate,
        WORKER_METRICS_PORT: String(ours),
        TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${theirs}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const text = await scrape(`http://127.0.0.1:${ours}/metrics`, /process_cpu_user_seconds_total/);
      expect(text, output).toContain('# TYPE syncs_total counter');
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
      // The SDK's endpoint answers once the worker polls (temporal_* from the core).
      const sdk = await scrape(`http://127.0.0.1:${theirs}/metrics`, /temporal_worker_task_slots_available/);
      expect(sdk, output).toMatch(/^temporal_worker_task_slots_available\{/m);
      expect(sdk).toContain('temporal_');
    } finally {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
      if (code === 'timeout') child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      expect(code, output).toBe(0);
    }
    expect(output).toContain('worker metrics listening');
    expect(output).toContain('worker stopped');
  });
});
