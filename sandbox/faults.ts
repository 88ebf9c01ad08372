/** Misbehaviour a test or demo can switch on per bank, applied before anything else a bank does. */
export interface SandboxFaults {
  /** Added to every API request. */
  latencyMs: number;
  /** Share (0..1) of API requests answered with errorStatus. */
  errorRate: number;
  errorStatus: 500 | 503;
  /** Share of API requests whose connection is destroyed without an answer. */
  dropRate: number;
  /** Share of API requests answered 200 with a truncated JSON body. */
  malformedRate: number;
  /** When set, the faults hit only API requests whose path contains it (e.g. one account's transactions). */
  pathIncludes: string;
}

export const NO_FAULTS: SandboxFaults = {
  latencyMs: 0,
  errorRate: 0,
  errorStatus: 503,
  dropRate: 0,
  malformedRate: 0,
  pathIncludes: '',
};

export type FaultDecision =
  { kind: 'none' } | { kind: 'drop' } | { kind: 'error'; status: 500 | 503 } | { kind: 'malformed' };

/** Validates and merges a patch; throws a readable Error on bad values. */
export function mergeFaults(current: SandboxFaults, patch: Record<string, unknown>): SandboxFaults {
  const next = { ...current };
  const rate = (name: 'errorRate' | 'dropRate' | 'malformedRate') => {
    const v = patch[name];
    if (v === undefined) return;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new Error(`${name} must be a number from 0 to 1`);
    next[name] = v;
  };
  rate('errorRate');
  rate('dropRate');
  rate('malformedRate');
  if (patch.latencyMs !== undefined) {
    if (typeof patch.latencyMs !== 'number' || !(patch.latencyMs >= 0 && patch.latencyMs <= 60_000))
      throw new Error('latencyMs must be 0..60000');
    next.latencyMs = patch.latencyMs;
  }
  if (patch.pathIncludes !== undefined) {
    if (typeof patch.pathIncludes !== 'string' || patch.pathIncludes.length > 500)
      throw new Error('pathIncludes must be a string of at most 500 characters');
    next.pathIncludes = patch.pathIncludes;
  }
  if (patch.errorStatus !== undefined) {
    if (patch.errorStatus !== 500 && patch.errorStatus !== 503) throw new Error('errorStatus must be 500 or 503');
    next.errorStatus = patch.errorStatus;
  }
  return next;
}

/** One draw per fault kind, so the shares are independent of each other. */
export function decideFault(faults: SandboxFaults, random: () => number = Math.random): FaultDecision {
  if (faults.dropRate > 0 && random() < faults.dropRate) return { kind: 'drop' };
  if (faults.errorRate > 0 && random() < faults.errorRate) return { kind: 'error', status: faults.errorStatus };
  if (faults.malformedRate > 0 && random() < faults.malformedRate) return { kind: 'malformed' };
  return { kind: 'none' };
}

/** What a glitching bank sends: the start of a plausible answer, cut off. */
export const TRUNCATED_JSON = '{"accounts":[{"resourceId":"3dc3d5b3-7023-4848-9853-f5400a64e80f","iban":"DK50004';
