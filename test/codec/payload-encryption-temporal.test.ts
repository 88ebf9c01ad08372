import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { buildApp, type ApiDeps } from '../../api/app';
import { createApiKey } from '../../api/auth/api-keys';
import { parseEnv } from '../../config/env';
import { AppMetrics } from '../../metrics/registry';
import { resolveTemporalCli } from '../../temporal/cli';
import { generateKeySpec } from '../../secrets/token-cipher';
import { dataConverterFor, EncryptionCodec } from '../../temporal/payload-codec';
import { pingWorkflow } from '../../workflows';
import { tempDatabase } from '../helpers/db';
import { pingActivityDeps } from '../helpers/ping-deps';
import { testLogger } from '../helpers/logger';
import { sqliteRepositories } from '../../repositories/sqlite';
import { NAMESPACE, startTestWorker, type TestWorker } from '../helpers/temporal';

const FIXTURES = join(__dirname, '../fixtures/histories');
const MARKER = 'iban DK5000400440116243 plaintext-marker-c0dec';

describe('payload encryption on a real Temporal dev server', () => {
  const database = tempDatabase();
  const keys = parseEnv({
    TEMPORAL_PAYLOAD_KEYS: `${generateKeySpec('old')},${generateKeySpec('new')}`,
  }).TEMPORAL_PAYLOAD_KEYS!;
  const codec = new EncryptionCodec(keys, 'new');
  let tw: TestWorker;
  let connection: Connection;
  let codecClient: Client;

  beforeAll(async () => {
    tw = await startTestWorker(pingActivityDeps(database.db), { dataConverter: dataConverterFor(codec) });
    connection = await Connection.connect({ address: inject('temporalAddress') });
    codecClient = new Client({ connection, namespace: NAMESPACE, dataConverter: dataConverterFor(codec) });
  });
  afterAll(async () => {
    await tw?.stop();
    await connection?.close();
    database.remove();
  });

  it('the history on the server holds ciphertext only; the codec client reads the result; replay with the codec works', async () => {
    const workflowId = `ping-encrypted-${Date.now()}`;
    const result = await codecClient.workflow.execute(pingWorkflow, {
      taskQueue: tw.taskQueue,
      workflowId,
      args: [MARKER],
    });
    expect(result).toBe(`${workflowId}/1`);

    // tw.client has no codec: what it fetches is what the server stores.
    const history = await tw.client.workflow.getHandle(workflowId).fetchHistory();
    const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    expect(raw.includes('plaintext-marker-c0dec')).toBe(false);
    expect(raw.includes('binary/encrypted')).toBe(true);
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const input = started?.input?.payloads?.[0];
    expect(Buffer.from(input?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    expect(Buffer.from(input?.metadata?.['encryption-key-id'] ?? []).toString()).toBe('new');

    // The plain client cannot make sense of the result; the codec client can.
    await expect(tw.client.workflow.getHandle(workflowId).result()).rejects.toThrow();
    expect(await codecClient.workflow.getHandle(workflowId).result()).toBe(`${workflowId}/1`);

    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: dataConverterFor(codec) },
      history,
      workflowId,
    );
  });

  it('histories recorded before encryption still replay with the codec (plaintext passes through)', async () => {
    const recorded = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.binpb'))
      .map((f) => ({
        workflowId: f,
        history: temporal.api.history.v1.History.decode(readFileSync(join(FIXTURES, f))),
      }));
    expect(recorded.length).toBeGreaterThan(0);
    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: dataConverterFor(codec) },
      recorded,
    );
    for await (const result of results) expect(result.error, result.workflowId).toBeUndefined();
  });

  it('`temporal workflow show --codec-endpoint … --codec-auth` decodes through the API', async () => {
    const workflowId = `ping-cli-${Date.now()}`;
    await codecClient.workflow.execute(pingWorkflow, { taskQueue: tw.taskQueue, workflowId, args: [MARKER] });
    const app = buildApp({
      repositories: sqliteRepositories(database.db),
      logger: testLogger(),
      metrics: new AppMetrics(),
      payloadCodec: codec,
    } as unknown as ApiDeps);
    const opsKey = (
      await createApiKey(sqliteRepositories(database.db).apiKeys, { name: 'ops-cli', scopes: ['ops:codec'] })
    ).key;
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const show = (extra: string[]) =>
        promisify(execFile)(
          resolveTemporalCli(),
          ['workflow', 'show', '--address', inject('temporalAddress'), '--namespace', NAMESPACE, '-w', workflowId]
            .concat(['--output', 'json'])
            .concat(extra),
          { timeout: 30_000 },
        );
      const decoded = await show(['--codec-endpoint', `${base}/codec`, '--codec-auth', `Bearer ${opsKey}`]);
      // JSON output: metadata values and data in base64, as Temporal's protojson has them.
      const input = (stdout: string) => {
        const events = (JSON.parse(stdout) as { events: Record<string, any>[] }).events;
        const payload = events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
        return {
          encoding: Buffer.from(payload.metadata.encoding, 'base64').toString(),
          data: Buffer.from(payload.data, 'base64').toString(),
        };
      };
      expect(input(decoded.stdout)).toEqual({ encoding: 'json/plain', data: JSON.stringify(MARKER) });
      // Without the codec the CLI shows what the server stores: our encoding, no plaintext.
      const raw = input((await show([])).stdout);
      expect(raw.encoding).toBe('binary/encrypted');
      expect(raw.data).not.toContain('plaintext-marker-c0dec');
    } finally {
      await app.close();
    }
  });
});
