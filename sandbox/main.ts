import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../logging/logger';
import { loadOrCreateTppCertificates } from './certificates';
import { startSandboxBanks } from './index';

/** `npm run sandbox`: the three sandbox banks and the admin API on fixed ports, until Ctrl-C. */

const CERT_DIR = join(process.cwd(), 'var', 'sandbox-certs');

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'info', name: 'sandbox' });
  const { set, generated } = loadOrCreateTppCertificates(CERT_DIR);
  const sandbox = await startSandboxBanks({
    tppCa: set.ca,
    logger,
    ports: {
      bec: port('SANDBOX_BEC_PORT', 8441),
      'enfuce-rocker': port('SANDBOX_ROCKER_PORT', 8442),
      'enfuce-st1': port('SANDBOX_ST1_PORT', 8443),
      admin: port('SANDBOX_ADMIN_PORT', 8440),
    },
  });
  const serverCaPath = join(CERT_DIR, 'bank-server-ca.pem');
  writeFileSync(serverCaPath, sandbox.serverCaPem);

  const lines = [
    '',
    'Sandbox banks are running:',
    `  BEC            ${sandbox.banks.bec.baseUrl}   (also /psd2/6140, /psd2/9070)`,
    `  Enfuce Rocker  ${sandbox.banks['enfuce-rocker'].baseUrl}   X-API-Key ${sandbox.banks['enfuce-rocker'].apiKey}`,
    `  Enfuce ST1     ${sandbox.banks['enfuce-st1'].baseUrl}   X-API-Key ${sandbox.banks['enfuce-st1'].apiKey}`,
    `  Admin API      ${sandbox.adminUrl}/admin/banks`,
    '',
    `TPP certificates (${generated ? 'generated now' : 'loaded'}): ${CERT_DIR}/{ca,qwac,qseal}.{pem,key}`,
    `Trust the banks' TLS servers with: ${serverCaPath} (new on every start)`,
    'Ctrl-C stops.',
    '',
  ];
  process.stdout.write(lines.join('\n'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping sandbox banks');
    sandbox
      .stop()
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error({ err }, 'stopping failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`sandbox failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
