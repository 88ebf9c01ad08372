import type { Server } from 'node:http';
import type { Logger } from '../logging/logger';
import { generateSandboxCertificates, generateServerCertificate } from '../xs2a/certs';
import type { PemPair } from '../xs2a/certs/types';
import { createAdminServer, type AdminBankView } from './admin';
import { BankServer, type BankRuntime } from './bank-server';
import { DEFAULT_BEC_BANK_IDS, becGuard, becRoutes } from './bec';
import { defaultApiKey, enfuceRoutes } from './enfuce';
import { NO_FAULTS, mergeFaults, type SandboxFaults } from './faults';
import { RateLimiter, type SandboxLimits } from './rate-limit';
import { RequestLog, type RequestLogEntry } from './request-log';
import { getSpecValidator } from './spec-validator';
import { BankState, createSandboxClock, type SandboxBankId, type SandboxClock, type SandboxSettings } from './state';

export type { RequestLogEntry } from './request-log';
export type { SandboxFaults } from './faults';
export type { SandboxLimits } from './rate-limit';
export { getSpecValidator } from './spec-validator';

export const SANDBOX_BANK_IDS: readonly SandboxBankId[] = ['bec', 'enfuce-rocker', 'enfuce-st1'];

export interface StartSandboxOptions {
  /** The CA the TPP certificates chain to (PEM certificate, or the CA pair). */
  tppCa: PemPair | string;
  host?: '127.0.0.1';
  /** 0 or absent: a free port. */
  ports?: Partial<Record<SandboxBankId | 'admin', number>>;
  settings?: Partial<SandboxSettings>;
  startAt?: Date;
  logger?: Logger;
  /** Enabled BEC registration numbers (default 0400, 6140, 9070); the first is in `banks.bec.baseUrl`. */
  becBankIds?: string[];
}

export interface SandboxBankHandle {
  /** What a bank profile's baseUrl becomes: BEC https://127.0.0.1:P/psd2/0400, Enfuce https://127.0.0.1:Q. */
  baseUrl: string;
  origin: string;
  /** Enfuce: the X-API-Key the consent endpoint wants. */
  apiKey?: string;
  state: BankState;
}

export interface SandboxBanks {
  banks: Record<SandboxBankId, SandboxBankHandle>;
  adminUrl: string;
  /** The CA of the banks' TLS server certificates, for the TPP to trust. */
  serverCaPem: string;
  clock: SandboxClock;
  requestLog(bank: SandboxBankId): RequestLogEntry[];
  setFaults(bank: SandboxBankId, faults: Partial<SandboxFaults>): void;
  setLimits(bank: SandboxBankId, limits: Partial<SandboxLimits>): void;
  stop(): Promise<void>;
}

function listenAdmin(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Starts BEC, Rocker and ST1 on their own HTTPS ports plus the plain-HTTP admin API, all on 127.0.0.1. */
export async function startSandboxBanks(opts: StartSandboxOptions): Promise<SandboxBanks> {
  const host = opts.host ?? '127.0.0.1';
  const tppCaPem = typeof opts.tppCa === 'string' ? opts.tppCa : opts.tppCa.certificatePem;
  const becBankIds = opts.becBankIds?.length ? opts.becBankIds : DEFAULT_BEC_BANK_IDS;
  const validator = await getSpecValidator();
  opts.logger?.info({ specBuildMs: validator.buildMs }, 'Berlin Group 1.3.12 validator ready');

  // The banks' own TLS identity: a sandbox bank CA made at start, one server certificate for all three.
  const bankCa = generateSandboxCertificates({ organizationName: 'Sandbox Bank CA' }).ca;
  const serverTls = generateServerCertificate(bankCa, { hostnames: ['localhost'], ips: ['127.0.0.1'] });

  const clock = createSandboxClock(opts.startAt);
  const runtimes = new Map<SandboxBankId, BankRuntime>();
  const servers = new Map<SandboxBankId, BankServer>();
  for (const bank of SANDBOX_BANK_IDS) {
    const rt: BankRuntime = {
      bank,
      state: new BankState({ bank, clock, settings: opts.settings }),
      clock,
      tppCaPems: [tppCaPem],
      faults: { ...NO_FAULTS },
      limiter: new RateLimiter(() => clock.now()),
      log: new RequestLog(),
      validator,
      logger: opts.logger,
      origin: '',
      apiKey: bank === 'bec' ? undefined : defaultApiKey(bank),
      side: { consentTpp: new Map(), paymentTpp: new Map() },
    };
    runtimes.set(bank, rt);
    servers.set(bank, bank === 'bec' ? new BankServer(rt, becRoutes(), serverTls, becGuard(becBankIds)) : new BankServer(rt, enfuceRoutes(bank), serverTls));
  }

  const started: Array<() => Promise<void>> = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s().catch(() => undefined)));
  };
  try {
    for (const bank of SANDBOX_BANK_IDS) {
      const server = servers.get(bank)!;
      const port = await server.listen(opts.ports?.[bank] ?? 0, host);
      started.push(() => server.close());
      runtimes.get(bank)!.origin = `https://${host}:${port}`;
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const baseUrlOf = (bank: SandboxBankId) => (bank === 'bec' ? `${runtimes.get(bank)!.origin}/psd2/${becBankIds[0]}` : runtimes.get(bank)!.origin);
  const views = (): AdminBankView[] =>
    SANDBOX_BANK_IDS.map((id) => ({ id, baseUrl: baseUrlOf(id), origin: runtimes.get(id)!.origin, ...(runtimes.get(id)!.apiKey ? { apiKey: runtimes.get(id)!.apiKey } : {}) }));

  const admin = createAdminServer({ clock, runtimes, views, logger: opts.logger });
  let adminPort: number;
  try {
    adminPort = await listenAdmin(admin, opts.ports?.admin ?? 0, host);
  } catch (err) {
    await stop();
    throw err;
  }
  started.push(
    () =>
      new Promise<void>((resolve) => {
        admin.close(() => resolve());
        admin.closeAllConnections();
      }),
  );

  const banks = Object.fromEntries(
    SANDBOX_BANK_IDS.map((id) => {
      const rt = runtimes.get(id)!;
      const handle: SandboxBankHandle = { baseUrl: baseUrlOf(id), origin: rt.origin, state: rt.state, ...(rt.apiKey ? { apiKey: rt.apiKey } : {}) };
      return [id, handle];
    }),
  ) as Record<SandboxBankId, SandboxBankHandle>;

  const runtime = (bank: SandboxBankId) => {
    const rt = runtimes.get(bank);
    if (!rt) throw new Error(`unknown sandbox bank ${bank}`);
    return rt;
  };

  let stopped = false;
  return {
    banks,
    adminUrl: `http://${host}:${adminPort}`,
    serverCaPem: bankCa.certificatePem,
    clock,
    requestLog: (bank) => runtime(bank).log.list(),
    setFaults: (bank, faults) => {
      const rt = runtime(bank);
      rt.faults = mergeFaults(rt.faults, faults as Record<string, unknown>);
    },
    setLimits: (bank, limits) => runtime(bank).limiter.set(limits),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stop();
    },
  };
}
