import { createBankDirectory, type BankDirectory, type BankDirectoryOptions, type BankSetup } from '../banks/directory';
import { bankSetupsFromEnv } from '../banks/from-env';
import type { Logger } from '../logging/logger';

export interface BankOptions {
  /** Default: BANK_PROFILES_FILE and the TPP's certificates from the environment (banks/from-env). */
  setups?: BankSetup[];
  requestTimeoutMs?: number;
  now?: () => number;
  limiterFor?: BankDirectoryOptions['limiterFor'];
}

export function banksFor(options: BankOptions, logger: Logger, source: NodeJS.ProcessEnv = process.env): BankDirectory {
  const setups = options.setups ?? bankSetupsFromEnv(source);
  return createBankDirectory(setups, logger, {
    requestTimeoutMs: options.requestTimeoutMs,
    now: options.now,
    limiterFor: options.limiterFor,
  });
}
