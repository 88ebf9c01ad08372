import type { Logger } from '../logging/logger';
import { recordBankCall, recordBankError } from '../metrics/registry';
import { Xs2aError } from '../xs2a/errors';
import { Xs2aClient } from '../xs2a/operations/client';
import type { BankProfile, TppCredentials } from '../xs2a/profiles/types';
import { HttpXs2aTransport } from '../xs2a/transport/http-client';
import type { Xs2aTransport } from '../xs2a/transport/types';
import { UnattendedAccessCounter } from '../xs2a/limits/unattended-counter';
import type { RequestLimiter } from '../xs2a/limits/request-limiter';
import { scaFlowFor, type ScaFlow } from './sca';

export interface BankHandle {
  profile: BankProfile;
  client: Xs2aClient;
  transport: Xs2aTransport;
  /** The bank's consent approval flow (redirect or OAuth2 integrated), chosen once from the profile. */
  sca: ScaFlow;
}

/**
 * The configured banks' profiles, without transports or keys: what the API needs for /v1/aspsps
 * and to validate a new connection. BankDirectory is one too.
 */
export interface BankProfiles {
  has(aspspId: string): boolean;
  get(aspspId: string): { profile: BankProfile };
  profiles(): BankProfile[];
}

/** Profiles only (the API process: it never calls a bank, so it holds no QWAC or QSEAL key). */
export function bankProfiles(profiles: BankProfile[]): BankProfiles {
  assertUniqueIds(profiles);
  const byId = new Map(profiles.map((profile) => [profile.id, { profile }]));
  return {
    has: (aspspId) => byId.has(aspspId),
    get(aspspId) {
      const entry = byId.get(aspspId);
      if (!entry) throw unknownAspsp(aspspId, [...byId.keys()]);
      return entry;
    },
    profiles: () => profiles,
  };
}

function unknownAspsp(aspspId: string, configured: string[]): Xs2aError {
  return new Xs2aError(`unknown ASPSP "${aspspId}" (configured: ${configured.join(', ') || 'none'})`, {
    kind: 'configuration',
    aspsp: aspspId,
  });
}

function assertUniqueIds(profiles: BankProfile[]): void {
  // Checked before any transport (and its agent) exists: a second entry would silently replace the first.
  const seen = new Set<string>();
  for (const profile of profiles) {
    if (seen.has(profile.id)) {
      throw new Xs2aError(
        `bank "${profile.id}" is configured more than once; bank ids must be unique` +
          (profile.family === 'bec' ? ' (give each BEC member bank its own id, default bec-<bankId>)' : ''),
        { kind: 'configuration', aspsp: profile.id },
      );
    }
    seen.add(profile.id);
  }
}

/** The banks this process talks to: one profile, one pooled mTLS transport, one client and one SCA flow each. */
export class BankDirectory implements BankProfiles {
  constructor(private readonly banks: Map<string, BankHandle>) {}

  get(aspspId: string): BankHandle {
    const handle = this.banks.get(aspspId);
    if (!handle) throw unknownAspsp(aspspId, [...this.banks.keys()]);
    return handle;
  }

  has(aspspId: string): boolean {
    return this.banks.has(aspspId);
  }

  profiles(): BankProfile[] {
    return [...this.banks.values()].map((b) => b.profile);
  }

  async close(): Promise<void> {
    await Promise.all([...this.banks.values()].map((b) => b.transport.close()));
  }
}

export interface BankSetup {
  profile: BankProfile;
  credentials: TppCredentials;
}

export interface BankDirectoryOptions {
  requestTimeoutMs?: number;
  now?: () => number;
  /** The bank's limit shared with the other processes (banks/fleet-limiter.ts); default none. */
  limiterFor?: (profile: BankProfile) => RequestLimiter | undefined;
}

export function createBankDirectory(
  setups: BankSetup[],
  logger: Logger,
  options: BankDirectoryOptions = {},
): BankDirectory {
  assertUniqueIds(setups.map((s) => s.profile));
  const unattended = new UnattendedAccessCounter(options.now);
  const banks = new Map<string, BankHandle>();
  for (const { profile, credentials } of setups) {
    const transport = new HttpXs2aTransport({
      profile,
      credentials,
      logger,
      unattended,
      limiter: options.limiterFor?.(profile),
      requestTimeoutMs: options.requestTimeoutMs,
      now: options.now,
      observe: ({ aspsp, operation, status, error }) => {
        recordBankCall(aspsp, operation, status);
        if (error) recordBankError(aspsp, error.kind, error.code);
      },
    });
    const client = new Xs2aClient({ profile, transport, now: options.now });
    banks.set(profile.id, { profile, transport, client, sca: scaFlowFor(client) });
  }
  return new BankDirectory(banks);
}
