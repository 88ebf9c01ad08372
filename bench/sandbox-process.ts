/**
 * The sandbox banks in their own process for `bench/connections.ts --workers N`, so the driver's
 * and the workers' CPU is theirs alone. Forked with an IPC channel: the TPP CA arrives in
 * SANDBOX_TPP_CA (PEM); it answers `ready` with the banks' addresses, then the driver's requests
 * for the request log, limits and clock by message.
 */
import { createLogger } from '../logging/logger';
import { startSandboxBanks, type SandboxBanks } from '../sandbox';
import type { SandboxBankId } from '../sandbox/state/types';
import type { SandboxLimits } from '../sandbox/rate-limit';

export type SandboxRequest =
  | { id: number; op: 'requestLog'; bank: SandboxBankId; afterSeq?: number }
  | { id: number; op: 'setLimits'; bank: SandboxBankId; limits: Partial<SandboxLimits> }
  | { id: number; op: 'now' }
  | { id: number; op: 'stop' };

export interface SandboxReady {
  type: 'ready';
  banks: Record<SandboxBankId, { baseUrl: string; origin: string; apiKey?: string }>;
  serverCaPem: string;
}

function answer(sandbox: SandboxBanks, request: SandboxRequest): unknown {
  switch (request.op) {
    case 'requestLog':
      return sandbox.requestLog(request.bank).filter((e) => e.seq > (request.afterSeq ?? 0));
    case 'setLimits':
      return sandbox.setLimits(request.bank, request.limits);
    case 'now':
      return sandbox.clock.now().getTime();
    case 'stop':
      return undefined;
  }
}

async function main(): Promise<void> {
  const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'silent', name: 'bench-sandbox' });
  const sandbox = await startSandboxBanks({ tppCa: JSON.parse(process.env.SANDBOX_TPP_CA!), logger });
  const banks = Object.fromEntries(
    Object.entries(sandbox.banks).map(([id, b]) => [id, { baseUrl: b.baseUrl, origin: b.origin, apiKey: b.apiKey }]),
  ) as SandboxReady['banks'];
  process.send!({ type: 'ready', banks, serverCaPem: sandbox.serverCaPem } satisfies SandboxReady);
  process.on('message', (request: SandboxRequest) => {
    const result = answer(sandbox, request);
    process.send!({ id: request.id, result });
    if (request.op === 'stop') void sandbox.stop().finally(() => process.exit(0));
  });
  // The driver gone (killed, crashed): nothing is left listening.
  process.on('disconnect', () => void sandbox.stop().finally(() => process.exit(0)));
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
