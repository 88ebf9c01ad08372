/**
 * The worker's metrics: our listener (metrics/worker-server.ts) serves the process-wide counters
 * and Node's process metrics; the Temporal SDK runtime, installed with a Prometheus address before
 * any connection, serves temporal_* metrics of a real worker against the run's dev server.
 * (Runtime.install runs once per process: vitest gives this file its own.)
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTemporalRuntime } from '../../logging/temporal-runtime';
import { recordBankCall, recordSync } from '../../metrics/registry';
import { startMetricsServer, type MetricsServer } from '../../metrics/worker-server';
import { pingWorkflow } from '../../workflows';
import { tempDatabase } from '../helpers/db';
import { testLogger } from '../helpers/logger';
import { pingActivityDeps } from '../helpers/ping-deps';
import { startTestWorker, type TestWorker } from '../helpers/temporal';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('worker metrics', () => {
  let server: MetricsServer;
  beforeAll(async () => {
    server = await startMetricsServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('the /metrics listener serves our counters and Node process metrics', async () => {
    recordSync('bec', 'ok');
    recordBankCall('bec', 'getAccounts', 200);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toMatch(/^syncs_total\{aspsp="bec",outcome="ok"\} [1-9]/m);
    expect(text).toMatch(/^bank_calls_total\{aspsp="bec",operation="getAccounts",status="200"\} [1-9]/m);
    expect(text).toContain('# TYPE bank_errors_total counter');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });

  describe('Temporal SDK telemetry', () => {
    const database = tempDatabase();
    let tw: TestWorker;
    let sdkMetricsUrl: string;

    beforeAll(async () => {
      const port = await freePort();
      sdkMetricsUrl = `http://127.0.0.1:${port}/metrics`;
      // First in this process, before startTestWorker's NativeConnection (its own install is then a no-op).
      expect(installTemporalRuntime(testLogger(), { metricsAddress: `127.0.0.1:${port}` })).toBe(true);
      tw = await startTestWorker(pingActivityDeps(database.db));
    });
    afterAll(async () => {
      await tw?.stop();
      database.remove();
    });

    it('serves temporal_ worker metrics of a real worker', async () => {
      const workflowId = `ping-metrics-${Date.now()}`;
      await tw.client.workflow.execute(pingWorkflow, { taskQueue: tw.taskQueue, workflowId, args: ['metrics'] });
      let text = '';
      // The exporter reads the core's meters on scrape; completed tasks show up within moments.
      for (let i = 0; i < 50 && !/temporal_workflow_completed/.test(text); i++) {
        text = await (await fetch(sdkMetricsUrl)).text();
        if (!/temporal_workflow_completed/.test(text)) await new Promise((r) => setTimeout(r, 200));
      }
      expect(text).toMatch(/^temporal_workflow_completed\{[^}]*task_queue="[^"]+"[^}]*\} [1-9]/m);
      expect(text).toContain('temporal_workflow_task_schedule_to_start_latency');
      expect(text).toContain('temporal_activity_execution_latency');
      expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
      expect(text).toContain('temporal_sticky_cache_size');
      // A second install is refused rather than crashing the process.
      expect(installTemporalRuntime(testLogger(), { metricsAddress: '127.0.0.1:1' })).toBe(false);
    });
  });
});
