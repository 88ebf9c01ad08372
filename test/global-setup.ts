import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { resolveTemporalCli } from '../temporal/cli';
import { SEARCH_ATTRIBUTE_KEYS } from '../temporal/search-attributes';
import { WORKFLOWS_PATH } from '../worker/worker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

/**
 * One real Temporal dev server per test run, on a free port, and the workflow
 * bundle built once. The SDK starts the CLI binary as its direct child and kills
 * it on teardown, so nothing is left behind.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
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

  return async () => {
    await env.teardown();
  };
}
