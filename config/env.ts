import { z } from 'zod';
import { parseDuration } from './duration';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = z.coerce
  .number({ error: 'must be a port number (0-65535)' })
  .int('must be a whole port number')
  .min(0, 'must be 0-65535')
  .max(65535, 'must be 0-65535');

const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const count = (min: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(100_000, 'must be at most 100000');

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * Keys for token encryption at rest: "kid1:<base64 32 bytes>,kid2:<base64 32 bytes>".
 * Several keys may be listed so that rows written under an old key stay readable
 * after rotation; TOKEN_ENCRYPTION_ACTIVE_KEY_ID picks the one used for new writes.
 */
const encryptionKeys = z.string().transform((text, ctx) => {
  const keys = new Map<string, Buffer>();
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const sep = part.indexOf(':');
    const id = sep > 0 ? part.slice(0, sep) : '';
    const key = Buffer.from(part.slice(sep + 1), 'base64');
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
      ctx.addIssue({
        code: 'custom',
        message: `entry ${keys.size + 1}: key id must match [A-Za-z0-9_-]{1,32} ("<id>:<base64 key>")`,
      });
      return z.NEVER;
    }
    if (key.length !== 32) {
      ctx.addIssue({
        code: 'custom',
        message: `key "${id}" must be 32 bytes of base64 for AES-256-GCM, got ${key.length} bytes`,
      });
      return z.NEVER;
    }
    keys.set(id, key);
  }
  if (keys.size === 0) {
    ctx.addIssue({ code: 'custom', message: 'no keys given' });
    return z.NEVER;
  }
  return keys;
});

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    LOG_PRETTY: booleanFlag.optional(),

    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('openbanking'),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TEMPORAL_TLS: booleanFlag.default(false),
    TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
    TEMPORAL_CLI_PATH: z.string().min(1).optional(),

    DATABASE_PATH: z.string().min(1).default('var/openbanking.sqlite'),
    /** postgres://…: the whole service stores in PostgreSQL instead of DATABASE_PATH (composition/storage.ts). */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/./, 'must be a postgres:// or postgresql:// URL')
      .optional(),

    API_HOST: z.string().min(1).default('127.0.0.1'),
    API_PORT: port.default(3000),
    PUBLIC_BASE_URL: z.url().optional(),
    /** The worker's own Prometheus /metrics listener (our counters, Node process metrics); off when unset. */
    WORKER_METRICS_PORT: port.optional(),
    WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    /** host:port where the Temporal SDK serves its worker metrics (temporal_*) at /metrics; off when unset. */
    TEMPORAL_METRICS_ADDRESS: z
      .string()
      .regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464')
      .optional(),
    /** The API key `npm start` prints and accepts; generated (and kept in var/) when unset. */
    DEMO_API_KEY: z.string().min(16, 'DEMO_API_KEY must be at least 16 characters').optional(),

    TOKEN_ENCRYPTION_KEYS: encryptionKeys.optional(),
    TOKEN_ENCRYPTION_ACTIVE_KEY_ID: z.string().min(1).optional(),
    /** Temporal payload encryption (same format); local runs fall back to a generated key under var/. */
    TEMPORAL_PAYLOAD_KEYS: encryptionKeys.optional(),
    TEMPORAL_PAYLOAD_ACTIVE_KEY_ID: z.string().min(1).optional(),
    /** Origins allowed to call the codec endpoint (the Temporal UI), comma-separated. */
    TEMPORAL_UI_ORIGIN: z.string().min(1).optional(),

    /** Production banks: profiles file and the TPP's certificate files (npm start uses the sandbox instead). */
    BANK_PROFILES_FILE: z.string().min(1).optional(),
    QWAC_CERT_PATH: z.string().min(1).optional(),
    QWAC_KEY_PATH: z.string().min(1).optional(),
    QSEAL_CERT_PATH: z.string().min(1).optional(),
    QSEAL_KEY_PATH: z.string().min(1).optional(),
    BANK_CA_PATH: z.string().min(1).optional(),

    AUTHORISATION_TIMEOUT: duration.default(15 * 60_000),
    EXPIRING_SOON_WARNING: duration.default(7 * 86_400_000),
    TOKEN_REFRESH_MARGIN: duration.default(60_000),
    SYNC_OVERLAP_WINDOW: duration.default(7 * 86_400_000),
    SYNC_JITTER: duration.default(30 * 60_000),

    /** Worker tuning (config/worker-tuning.ts); the first three default to the Temporal SDK's own defaults. */
    WORKER_MAX_CONCURRENT_ACTIVITIES: count(1).default(100),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: count(2).default(40),
    /** 0 disables the sticky cache; unset: the SDK's default from the heap size (at least 10). */
    WORKER_MAX_CACHED_WORKFLOWS: count(0).optional(),
    /** Per bank task queue and process: bank activities in flight, each waiting for its bank's request slots. */
    WORKER_BANK_MAX_CONCURRENT_ACTIVITIES: count(1).default(10),
  })
  .superRefine((env, ctx) => {
    if (
      env.TOKEN_ENCRYPTION_KEYS &&
      env.TOKEN_ENCRYPTION_ACTIVE_KEY_ID &&
      !env.TOKEN_ENCRYPTION_KEYS.has(env.TOKEN_ENCRYPTION_ACTIVE_KEY_ID)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['TOKEN_ENCRYPTION_ACTIVE_KEY_ID'],
        message: 'names no key listed in TOKEN_ENCRYPTION_KEYS',
      });
    }
    if (
      env.TEMPORAL_PAYLOAD_KEYS &&
      env.TEMPORAL_PAYLOAD_ACTIVE_KEY_ID &&
      !env.TEMPORAL_PAYLOAD_KEYS.has(env.TEMPORAL_PAYLOAD_ACTIVE_KEY_ID)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['TEMPORAL_PAYLOAD_ACTIVE_KEY_ID'],
        message: 'names no key listed in TEMPORAL_PAYLOAD_KEYS',
      });
    }
    if (env.NODE_ENV === 'production' && !env.PUBLIC_BASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUBLIC_BASE_URL'],
        message: 'is required in production (the banks send the PSU back to PUBLIC_BASE_URL/callback)',
      });
    }
    if (env.NODE_ENV === 'production' && !env.TOKEN_ENCRYPTION_KEYS) {
      ctx.addIssue({ code: 'custom', path: ['TOKEN_ENCRYPTION_KEYS'], message: 'is required in production' });
    }
    const cache = env.WORKER_MAX_CACHED_WORKFLOWS;
    if (cache === 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_MAX_CACHED_WORKFLOWS'],
        message: 'must be 0 (no cache) or at least 2',
      });
    }
    if (cache !== undefined && cache > 0 && env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS > cache) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_MAX_CONCURRENT_WORKFLOW_TASKS'],
        message: `must not exceed WORKER_MAX_CACHED_WORKFLOWS (${cache}) while the cache is on`,
      });
    }
    if (Boolean(env.TEMPORAL_TLS_CERT_PATH) !== Boolean(env.TEMPORAL_TLS_KEY_PATH)) {
      ctx.addIssue({
        code: 'custom',
        path: ['TEMPORAL_TLS_CERT_PATH'],
        message: 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment; the error names each bad variable, never echoing secret values. */
export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  // Empty strings mean "unset" so that `FOO= npm start` does not trip validation.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      return `${name}: ${issue.message}`;
    }),
  );
}

let cached: Env | undefined;

/** The process environment, parsed once. */
export function env(): Env {
  cached ??= parseEnv();
  return cached;
}

/** For entry points: parse, or print the problem and stop with exit code 2. */
export function envOrExit(): Env {
  try {
    return env();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
