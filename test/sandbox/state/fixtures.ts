import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import {
  BankState,
  createSandboxClock,
  type SandboxBankId,
  type SandboxClock,
  type SandboxSettings,
} from '../../../sandbox/state';

/** Mid-morning UTC, so a test never straddles midnight in real time. */
export const START = new Date('2026-03-15T09:00:00Z');
export const DAY_MS = 86_400_000;

/** A clock that only moves when told: for comparing two instances field by field. */
export function frozenClock(start: Date): SandboxClock {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms) => void (now += ms), set: (date) => void (now = date.getTime()) };
}

export function makeBank(
  bank: SandboxBankId,
  opts: { seed?: string; settings?: Partial<SandboxSettings>; clock?: SandboxClock } = {},
): { state: BankState; clock: SandboxClock } {
  const clock = opts.clock ?? createSandboxClock(START);
  const state = new BankState({ bank, clock, seed: opts.seed ?? 'test-seed', settings: opts.settings });
  return { state, clock };
}

/** A consent the PSU has approved, with the bank's test PSU by default. */
export function approvedConsent(
  state: BankState,
  opts: { psuId?: string; access?: unknown; validUntil?: string; frequencyPerDay?: number; tppOrgId?: string } = {},
): string {
  const record = state.createConsent({
    tppOrgId: opts.tppOrgId ?? 'PSDDK-DFSA-12345678',
    access: opts.access ?? { allPsd2: 'allAccounts' },
    recurringIndicator: true,
    validUntil: opts.validUntil ?? '9999-12-31',
    frequencyPerDay: opts.frequencyPerDay ?? 4,
    combinedServiceIndicator: false,
  });
  state.decideConsent(record.consentId, opts.psuId ?? state.testPsus()[0].id, 'approve');
  return record.consentId;
}

const SPEC_PATH = join(__dirname, '../../../../shared/spec/psd2-api_v1.3.12-2022-07-06.yaml');

/** Validators for Berlin Group 1.3.12 component schemas, read from the shared spec at run time. */
export function specValidator(): (schemaName: string, value: unknown) => string[] {
  const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  ajv.addSchema({ $id: 'bg', components: (spec as { components: unknown }).components }, 'bg');
  return (schemaName, value) => {
    const validate = ajv.getSchema(`bg#/components/schemas/${schemaName}`);
    if (!validate) throw new Error(`no schema ${schemaName}`);
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
  };
}
