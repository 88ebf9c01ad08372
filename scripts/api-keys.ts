/**
 * API keys for our products: `npm run api-key -- create --name NAME [--customers a,b] [--scopes x,y] [--key VALUE]`,
 * `revoke --id ID`, `list`. The key is printed once; only its SHA-256 is stored.
 */
import { parseArgs } from 'node:util';
import { API_SCOPES, createApiKey, ensureApiKey, listApiKeys, revokeApiKey, type ApiScope } from '../api/auth/api-keys';

export { createApiKey, ensureApiKey, listApiKeys, revokeApiKey, API_SCOPES };
export type { ApiScope, CreateApiKeyOptions, ApiKeyRecord } from '../api/auth/api-keys';

const USAGE = `usage:
  api-key create --name NAME [--customers a,b] [--scopes ${API_SCOPES.join(',')}] [--key VALUE]
  api-key revoke --id ID
  api-key list`;

const csv = (value: string | undefined) =>
  value
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : undefined;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      customers: { type: 'string' },
      scopes: { type: 'string' },
      key: { type: 'string' },
      id: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  // Loaded lazily so that importing this module for its functions does not read the environment.
  const { envOrExit } = await import('../config/env');
  const { createLogger } = await import('../logging/logger');
  const { openStorage } = await import('../composition/storage');
  // The service's database: PostgreSQL with DATABASE_URL, else the SQLite file at DATABASE_PATH.
  const env = envOrExit();
  const storage = openStorage(env, createLogger({ level: 'warn', name: 'api-key' }), { poolSize: 1 });
  const keys = storage.repositories.apiKeys;
  try {
    await storage.ready;
    switch (command) {
      case 'create': {
        if (!values.name) throw new Error('--name is required');
        const { id, key } = await createApiKey(keys, {
          name: values.name,
          customerIds: csv(values.customers),
          scopes: csv(values.scopes) as ApiScope[] | undefined,
          key: values.key,
        });
        process.stdout.write(`id:  ${id}\nkey: ${key}\n(shown once: store it now)\n`);
        return 0;
      }
      case 'revoke': {
        if (!values.id) throw new Error('--id is required');
        if (!(await revokeApiKey(keys, values.id))) throw new Error(`no API key ${values.id}`);
        process.stdout.write(`revoked ${values.id}\n`);
        return 0;
      }
      case 'list': {
        for (const k of await listApiKeys(keys)) {
          const when = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
          process.stdout.write(
            `${k.id}\t${k.name}\tcustomers=${k.customerIds?.join(',') ?? '*'}\tscopes=${k.scopes?.join(',') ?? '*'}\tcreated=${when(k.createdAt)}\tlastUsed=${when(k.lastUsedAt)}${k.revokedAt ? `\trevoked=${when(k.revokedAt)}` : ''}\n`,
          );
        }
        return 0;
      }
      default:
        process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
        return 2;
    }
  } finally {
    await storage.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`api-key: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
