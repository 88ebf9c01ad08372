import { join } from 'node:path';
import { envOrExit } from '../config/env';
import { createLogger } from '../logging/logger';
import { forwardTemporalLogs } from '../logging/temporal-runtime';
import { startLocalService } from './local-service';

/**
 * The main job, locally: Temporal dev server (persisted under ./var, Web UI on 8233),
 * the sandbox banks (BEC, Rocker, ST1), the worker and the API in one process.
 * Ctrl-C stops everything; a restart keeps the data and the running connections.
 */
async function main(): Promise<void> {
  const env = envOrExit();
  const logger = createLogger({ level: env.LOG_LEVEL, pretty: env.LOG_PRETTY ?? process.stdout.isTTY, name: 'main' });
  forwardTemporalLogs(logger);

  const [, temporalPort] = env.TEMPORAL_ADDRESS.split(':');
  const service = await startLocalService({
    env,
    logger,
    varDir: join(process.cwd(), 'var'),
    databasePath: env.DATABASE_PATH,
    temporalPorts: {
      frontend: Number(temporalPort ?? 7233),
      ui: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
      codec: Number(process.env.TEMPORAL_UI_CODEC_PORT ?? 8234),
    },
    ports: { api: env.API_PORT, bec: 8441, rocker: 8442, st1: 8443, admin: 8440 },
    apiKey: env.DEMO_API_KEY,
  });
  const { apiUrl: api, apiKey, sandbox } = service;
  process.stdout.write(
    [
      '',
      'Open-banking aggregator is running (sandbox banks).',
      `  API:           ${api}   (docs ${api}/docs, OpenAPI ${api}/openapi.json)`,
      `  Temporal UI:   ${service.temporalUiUrl}   (payloads decoded through the codec below)`,
      `  Codec:         ${service.codecEndpoint ?? `${api}/codec`}   (loopback only, for the UI; the API's ${api}/codec needs an ops:codec key)`,
      `  Sandbox banks: BEC ${sandbox.banks.bec.baseUrl}`,
      `                 Rocker ${sandbox.banks['enfuce-rocker'].baseUrl}, ST1 ${sandbox.banks['enfuce-st1'].baseUrl}`,
      `                 admin ${sandbox.adminUrl}`,
      `  Data:          ${env.DATABASE_URL ? `PostgreSQL ${databaseHost(env.DATABASE_URL)}` : env.DATABASE_PATH}, var/temporal.sqlite, var/sandbox-state.json`,
      `  API key:       ${apiKey}`,
      '',
      'Create a connection, then open its authorisationUrl in a browser and approve (test PSUs: README):',
      `  curl -s -X POST ${api}/v1/connections \\`,
      `    -H 'Authorization: Bearer ${apiKey}' -H 'Content-Type: application/json' \\`,
      `    -d '{"aspspId":"bec","customerId":"customer-1","redirectUrl":"https://example.com/done"}'`,
      '',
      'Get webhooks (signed, Standard Webhooks; http://127.0.0.1 and localhost are allowed locally; README: Webhooks):',
      `  curl -s -X POST ${api}/v1/webhook-endpoints \\`,
      `    -H 'Authorization: Bearer ${apiKey}' -H 'Content-Type: application/json' \\`,
      `    -d '{"url":"http://127.0.0.1:4000/hooks"}'     # answers the whsec_ secret once`,
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(130); // a second Ctrl-C: stop waiting
    stopping = true;
    logger.info({ signal }, 'stopping');
    void service.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Where DATABASE_URL points, without its credentials. */
function databaseHost(url: string): string {
  const { host, pathname } = new URL(url);
  return `${host}${pathname}`;
}

main().catch((err) => {
  process.stderr.write(`start failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
