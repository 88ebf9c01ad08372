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
import {
  BankState,
  NotifyingMap,
  SANDBOX_STATE_FILE_VERSION,
  createDebouncedSaver,
  createSandboxClock,
  loadSandboxStateFile,
  moveAside,
  writeSandboxStateFile,
  type DebouncedSaver,
  type OffsetSandboxClock,
  type SandboxBankId,
  type SandboxClock,
  type SandboxSettings,
  type SandboxStateFile,
  type TppByResource,
} from './state';

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
  /**
   * One JSON file (e.g. var/sandbox-state.json) keeping consents, tokens, codes, payments,
   * enrolments, settings and the clock across restarts: loaded at start when it exists (an
   * unusable file is moved to `<statePath>.corrupt-<timestamp>` and the banks start empty), saved
   * on stop() and at most 2 s after a change. A saved clock wins over `startAt`; `settings` given
   * here apply on top of the saved ones. Absent: the banks live in memory only.
   */
  statePath?: string;
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

  // Changes schedule a save once the saver exists (statePath given and the banks listening).
  let saver: DebouncedSaver | undefined;
  const changed = () => saver?.schedule();
  const baseClock = createSandboxClock(opts.startAt);
  const clock: OffsetSandboxClock = {
    ...baseClock,
    advance: (ms) => (baseClock.advance(ms), changed()),
    set: (date) => (baseClock.set(date), changed()),
  };
  const restored = opts.statePath ? restoreBanks(opts.statePath, clock, opts) : undefined;
  const runtimes = new Map<SandboxBankId, BankRuntime>();
  const servers = new Map<SandboxBankId, BankServer>();
  for (const bank of SANDBOX_BANK_IDS) {
    const state = restored?.get(bank)?.state ?? new BankState({ bank, clock, settings: opts.settings });
    const tpps = restored?.get(bank)?.tpps;
    state.onChange(changed);
    const rt: BankRuntime = {
      bank,
      state,
      clock,
      tppCaPems: [tppCaPem],
      faults: { ...NO_FAULTS },
      limiter: new RateLimiter(() => clock.now()),
      log: new RequestLog(),
      validator,
      logger: opts.logger,
      origin: '',
      apiKey: bank === 'bec' ? undefined : defaultApiKey(bank),
      side: {
        consentTpp: new NotifyingMap(
          changed,
          tpps?.consentTpp.map(({ id, name, orgId }) => [id, { name, orgId }] as const),
        ),
        paymentTpp: new NotifyingMap(
          changed,
          tpps?.paymentTpp.map(({ id, name, orgId }) => [id, { name, orgId }] as const),
        ),
      },
    };
    runtimes.set(bank, rt);
    servers.set(
      bank,
      bank === 'bec'
        ? new BankServer(rt, becRoutes(), serverTls, becGuard(becBankIds))
        : new BankServer(rt, enfuceRoutes(bank), serverTls),
    );
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

  const baseUrlOf = (bank: SandboxBankId) =>
    bank === 'bec' ? `${runtimes.get(bank)!.origin}/psd2/${becBankIds[0]}` : runtimes.get(bank)!.origin;
  const views = (): AdminBankView[] =>
    SANDBOX_BANK_IDS.map((id) => ({
      id,
      baseUrl: baseUrlOf(id),
      origin: runtimes.get(id)!.origin,
      ...(runtimes.get(id)!.apiKey ? { apiKey: runtimes.get(id)!.apiKey } : {}),
    }));

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
      const handle: SandboxBankHandle = {
        baseUrl: baseUrlOf(id),
        origin: rt.origin,
        state: rt.state,
        ...(rt.apiKey ? { apiKey: rt.apiKey } : {}),
      };
      return [id, handle];
    }),
  ) as Record<SandboxBankId, SandboxBankHandle>;

  const runtime = (bank: SandboxBankId) => {
    const rt = runtimes.get(bank);
    if (!rt) throw new Error(`unknown sandbox bank ${bank}`);
    return rt;
  };

  const statePath = opts.statePath;
  const save = statePath
    ? () => {
        const file: SandboxStateFile = {
          version: SANDBOX_STATE_FILE_VERSION,
          savedAt: new Date().toISOString(),
          clockOffsetMs: clock.offsetMs(),
          banks: {},
        };
        for (const [bank, rt] of runtimes) {
          const list = (map: Map<string, { name: string; orgId: string }>) =>
            [...map].map(([id, { name, orgId }]) => ({ id, name, orgId }));
          file.banks[bank] = {
            state: rt.state.snapshot(),
            tpps: { consentTpp: list(rt.side.consentTpp), paymentTpp: list(rt.side.paymentTpp) },
          };
        }
        writeSandboxStateFile(statePath, file);
      }
    : undefined;
  if (save) {
    saver = createDebouncedSaver(save, {
      onError: (err) =>
        warn(
          opts.logger,
          { statePath, err: errorText(err) },
          'saving the sandbox bank state failed; will retry on the next change',
        ),
    });
  }

  let stopped = false;
  return {
    banks,
    adminUrl: `http://${host}:${adminPort}`,
    serverCaPem: bankCa.certificatePem,
    clock,
    requestLog: (bank) => runtime(bank).log.list(),
    setFaults: (bank, faults) => {
      const rt = runtime(bank);
      rt.faults = mergeFaults(rt.faults, faults);
    },
    setLimits: (bank, limits) => runtime(bank).limiter.set(limits),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stop();
      // The servers are closed, so nothing changes any more: this save is the final word.
      saver?.flush(true);
    },
  };
}

/**
 * The banks as the state file left them, or undefined to start empty. Never throws: a file this
 * code cannot use is moved aside with a warning, because a sandbox that will not start is worse
 * than one that forgot its consents.
 */
function restoreBanks(
  statePath: string,
  clock: OffsetSandboxClock,
  opts: StartSandboxOptions,
): Map<SandboxBankId, { state: BankState; tpps: TppByResource }> | undefined {
  const outcome = loadSandboxStateFile(statePath);
  if (outcome.kind === 'missing') return undefined;
  if (outcome.kind === 'corrupt') {
    warn(
      opts.logger,
      { statePath, reason: outcome.reason, movedTo: outcome.movedTo },
      'sandbox bank state file unusable; starting with empty banks',
    );
    return undefined;
  }
  const restored = new Map<SandboxBankId, { state: BankState; tpps: TppByResource }>();
  try {
    for (const bank of SANDBOX_BANK_IDS) {
      const entry = outcome.file.banks[bank];
      if (!entry) continue;
      const state = BankState.fromSnapshot(entry.state, { clock });
      if (opts.settings) state.updateSettings(opts.settings);
      restored.set(bank, { state, tpps: entry.tpps });
    }
    // Inside the try: an offset the clock refuses (outside the valid date range) makes the file unusable too.
    clock.setOffset(outcome.file.clockOffsetMs);
  } catch (err) {
    const movedTo = moveAside(statePath);
    warn(
      opts.logger,
      { statePath, reason: errorText(err), movedTo },
      'sandbox bank state file unusable; starting with empty banks',
    );
    return undefined;
  }
  opts.logger?.info(
    {
      statePath,
      savedAt: outcome.file.savedAt,
      banks: [...restored].map(([bank, { state }]) => ({ bank, consents: state.snapshot().consents.length })),
    },
    'sandbox bank state restored',
  );
  return restored;
}

function warn(logger: Logger | undefined, details: Record<string, unknown>, message: string): void {
  if (logger) logger.warn(details, message);
  else process.emitWarning(`${message} ${JSON.stringify(details)}`);
}

/** Error messages from fs and the snapshot parser name paths and fields, never the file's content. */
function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
