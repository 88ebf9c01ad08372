import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { resolveTemporalCli } from '../temporal/cli';
import { SEARCH_ATTRIBUTE_KEYS } from '../temporal/search-attributes';
import { WORKFLOWS_PATH } from '../worker/worker';
import { dropRunDatabases, startTestPostgres, type TestPostgres } from './helpers/postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    /** The run's PostgreSQL server (test/helpers/postgres.ts); undefined when it cannot be started. */
    postgresUrl: string | undefined;
    /** Why postgresUrl is undefined. */
    postgresUnavailable: string | undefined;
  }
}

/**
 * One real Temporal dev server per test run, on a free port, and the workflow
 * bundle built once. The SDK starts the CLI binary as its direct child and kills
 * it on teardown, so nothing is left behind.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  // PostgreSQL starts alongside Temporal; TEST_POSTGRES_URL names an existing server instead.
  // The run's tag in every test database's name (test files' forks inherit it), to drop them at the end.
  const run = randomBytes(4).toString('hex');
  process.env.TEST_POSTGRES_RUN = run;
  const external = process.env.TEST_POSTGRES_URL;
  const postgres = external
    ? Promise.resolve<TestPostgres>({ url: external, stop: () => dropRunDatabases(external, run) })
    : startTestPostgres().catch((err: Error) => err);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: resolveTemporalCli() },
      ip: '127.0.0.1',
      searchAttributes: SEARCH_ATTRIBUTE_KEYS,
      extraArgs: ['--log-level', 'error'],
    },
  });

  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const dir = join(process.cwd(), 'var', 'test');
  mkdirSync(dir, { recursive: true });
  const bundlePath = join(dir, `workflow-bundle-${process.pid}.js`);
  writeFileSync(bundlePath, code);

  project.provide('temporalAddress', env.address);
  project.provide('workflowBundlePath', bundlePath);
  console.log(`[global-setup] Temporal dev server at ${env.address}, workflows bundled (${Date.now() - started} ms)`);

  const pg = await postgres;
  if (pg instanceof Error) {
    const reason = `PostgreSQL could not be started: ${pg.message}`;
    project.provide('postgresUrl', undefined);
    project.provide('postgresUnavailable', reason);
    console.log(`[global-setup] ${reason}; the PostgreSQL tests are skipped`);
  } else {
    project.provide('postgresUrl', pg.url);
    project.provide('postgresUnavailable', undefined);
    console.log(`[global-setup] PostgreSQL at ${new URL(pg.url).host}`);
  }

  return async () => {
    await Promise.allSettled([env.teardown(), pg instanceof Error ? undefined : pg.stop()]);
  };
}
