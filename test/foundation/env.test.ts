import { describe, expect, it } from 'vitest';
import { ConfigError, parseEnv } from '../../config/env';
import { parseDuration } from '../../config/duration';
import { workerTuningFromEnv } from '../../config/worker-tuning';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('environment schema', () => {
  it('gives defaults for a bare environment', () => {
    const env = parseEnv({});
    expect(env.API_PORT).toBe(3000);
    expect(env.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(env.AUTHORISATION_TIMEOUT).toBe(15 * 60_000);
  });

  it('names the variable and the problem for a bad value', () => {
    expect(() => parseEnv({ API_PORT: 'abc' })).toThrowError(/API_PORT/);
    expect(() => parseEnv({ LOG_LEVEL: 'loud' })).toThrowError(/LOG_LEVEL/);
    expect(() => parseEnv({ AUTHORISATION_TIMEOUT: 'soon' })).toThrowError(
      /AUTHORISATION_TIMEOUT: "soon" is not a duration/,
    );
  });

  it('lists every bad variable at once', () => {
    try {
      parseEnv({ API_PORT: '99999', TEMPORAL_TLS: 'maybe' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/API_PORT/);
      expect(problems).toMatch(/TEMPORAL_TLS/);
    }
  });

  it('parses encryption keys with ids and never echoes key material', () => {
    const env = parseEnv({ TOKEN_ENCRYPTION_KEYS: `k1:${KEY}`, TOKEN_ENCRYPTION_ACTIVE_KEY_ID: 'k1' });
    expect(env.TOKEN_ENCRYPTION_KEYS?.get('k1')?.length).toBe(32);

    const shortKey = Buffer.alloc(16, 1).toString('base64');
    let message = '';
    try {
      parseEnv({ TOKEN_ENCRYPTION_KEYS: `k1:${shortKey}` });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/TOKEN_ENCRYPTION_KEYS: key "k1" must be 32 bytes/);
    expect(message).not.toContain(shortKey);
  });

  it('rejects an active key id that names no key, and requires keys in production', () => {
    expect(() => parseEnv({ TOKEN_ENCRYPTION_KEYS: `k1:${KEY}`, TOKEN_ENCRYPTION_ACTIVE_KEY_ID: 'k2' })).toThrowError(
      /TOKEN_ENCRYPTION_ACTIVE_KEY_ID/,
    );
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrowError(/TOKEN_ENCRYPTION_KEYS: is required in production/);
  });

  it('refuses a DEMO_API_KEY shorter than 16 characters, naming it', () => {
    expect(() => parseEnv({ DEMO_API_KEY: 'short' })).toThrowError(/DEMO_API_KEY: .*at least 16 characters/);
    expect(parseEnv({ DEMO_API_KEY: 'a-demo-key-of-20-chars' }).DEMO_API_KEY).toBe('a-demo-key-of-20-chars');
  });

  it('tunes the worker from WORKER_*: the SDK defaults and 10 per bank queue, validated by name', () => {
    expect(workerTuningFromEnv(parseEnv({}))).toEqual({
      maxConcurrentActivityTaskExecutions: 100,
      maxConcurrentWorkflowTaskExecutions: 40,
      bankMaxConcurrentActivityTaskExecutions: 10,
    });
    expect(
      workerTuningFromEnv(
        parseEnv({
          WORKER_MAX_CONCURRENT_ACTIVITIES: '20',
          WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '8',
          WORKER_MAX_CACHED_WORKFLOWS: '0',
          WORKER_BANK_MAX_CONCURRENT_ACTIVITIES: '3',
        }),
      ),
    ).toEqual({
      maxConcurrentActivityTaskExecutions: 20,
      maxConcurrentWorkflowTaskExecutions: 8,
      maxCachedWorkflows: 0,
      bankMaxConcurrentActivityTaskExecutions: 3,
    });
    expect(() => parseEnv({ WORKER_MAX_CONCURRENT_ACTIVITIES: '0' })).toThrowError(
      /WORKER_MAX_CONCURRENT_ACTIVITIES: must be at least 1/,
    );
    expect(() => parseEnv({ WORKER_BANK_MAX_CONCURRENT_ACTIVITIES: '2.5' })).toThrowError(
      /WORKER_BANK_MAX_CONCURRENT_ACTIVITIES: must be a whole number/,
    );
    expect(() => parseEnv({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'many' })).toThrowError(
      /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS/,
    );
    // The SDK would quietly change these; we stop instead, naming the variable.
    expect(() => parseEnv({ WORKER_MAX_CACHED_WORKFLOWS: '1' })).toThrowError(
      /WORKER_MAX_CACHED_WORKFLOWS: must be 0 \(no cache\) or at least 2/,
    );
    expect(() => parseEnv({ WORKER_MAX_CACHED_WORKFLOWS: '10' })).toThrowError(
      /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: must not exceed WORKER_MAX_CACHED_WORKFLOWS \(10\)/,
    );
    expect(() => parseEnv({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toThrowError(
      /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: must be at least 2/,
    );
  });

  it('parses durations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('1500')).toBe(1500);
    expect(() => parseDuration('-5s')).toThrow();
  });
});
