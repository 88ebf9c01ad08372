import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { resolveTemporalCli } from './cli';
import { devServerSearchAttributeArgs } from './search-attributes';

export interface DevServerOptions {
  host?: string;
  port: number;
  uiPort?: number;
  dbFilename?: string;
  namespace?: string;
  /**
   * The Temporal UI decodes payloads through this remote codec (`--ui-codec-endpoint`), e.g. the
   * loopback codec server of `npm start` (temporal/local-codec-server.ts).
   */
  uiCodecEndpoint?: string;
  /** Where the server's own output goes; inherit for `npm start`, ignore for benches. */
  stdio?: 'inherit' | 'ignore';
  /** Register the service's search attributes at start (default true; false: as a bare server, for `ops temporal-setup`). */
  searchAttributes?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` as a direct child and waits until it answers.
 * Used by `npm start` and the benches; tests use TestWorkflowEnvironment instead.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  const args = ['server', 'start-dev', '--ip', host, '--port', String(options.port), '--log-level', 'warn'];
  args.push('--namespace', options.namespace ?? 'default');
  if (options.uiPort) {
    args.push('--ui-port', String(options.uiPort));
    if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  } else args.push('--headless');
  if (options.dbFilename) {
    mkdirSync(dirname(options.dbFilename), { recursive: true });
    args.push('--db-filename', options.dbFilename);
  }
  if (options.searchAttributes !== false) args.push(...devServerSearchAttributeArgs());

  const child = spawn(resolveTemporalCli(), args, {
    stdio: ['ignore', options.stdio ?? 'ignore', options.stdio ?? 'ignore'],
  });
  const address = `${host}:${options.port}`;
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  child.once('error', (err) => {
    exited = `could not run (${err.message})`;
  });

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`Temporal dev server ${exited} before it was ready (is port ${options.port} free?)`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.healthService.check({});
      } finally {
        await connection.close();
      }
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server at ${address} did not answer within 60s`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  return {
    address,
    uiUrl: options.uiPort ? `http://${host}:${options.uiPort}` : undefined,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(killer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
