import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SnapshotFormatError, parseBankStateSnapshot, type BankStateSnapshot } from './snapshot';
import type { SandboxBankId } from './types';

/**
 * The sandbox banks' state on disk: one JSON file for all banks and the shared clock, so a restart
 * of `npm start` finds every consent, token, payment and enrolment where it was. It holds the
 * banks' own token hashes, so it is written with mode 0600 (under var/, which git ignores).
 */
export const SANDBOX_STATE_FILE_VERSION = 1;

/** What the HTTP layer remembers beside BankState: the TPP (display name, organisation) per consent and per payment. */
export interface TppByResource {
  consentTpp: Array<{ id: string; name: string; orgId: string }>;
  paymentTpp: Array<{ id: string; name: string; orgId: string }>;
}

export interface SandboxStateFile {
  version: typeof SANDBOX_STATE_FILE_VERSION;
  /** Real time of the save, for people reading the file. */
  savedAt: string;
  /** The sandbox clock's offset from real time (see OffsetSandboxClock). */
  clockOffsetMs: number;
  banks: Partial<Record<SandboxBankId, { state: BankStateSnapshot; tpps: TppByResource }>>;
}

const tppList = z.array(z.object({ id: z.string(), name: z.string(), orgId: z.string() }));
const bankEntry = z.object({
  // Checked in depth by parseBankStateSnapshot, which also names the failing field.
  state: z.unknown(),
  tpps: z.object({ consentTpp: tppList, paymentTpp: tppList }),
});
const fileSchema = z.object({
  version: z.literal(SANDBOX_STATE_FILE_VERSION),
  savedAt: z.string(),
  clockOffsetMs: z.number().finite(),
  banks: z.object({
    bec: bankEntry.optional(),
    'enfuce-rocker': bankEntry.optional(),
    'enfuce-st1': bankEntry.optional(),
  }),
});

/** Parses a state file's text; throws SnapshotFormatError (never quoting the file's content). */
export function parseSandboxStateFile(text: string): SandboxStateFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the fault; the file holds token hashes, so say less.
    throw new SnapshotFormatError('the file is not valid JSON');
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== SANDBOX_STATE_FILE_VERSION) {
    throw new SnapshotFormatError(
      `file version ${JSON.stringify(version ?? null)} is not ${SANDBOX_STATE_FILE_VERSION}`,
    );
  }
  const result = fileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new SnapshotFormatError(`file field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const banks: SandboxStateFile['banks'] = {};
  for (const [bank, entry] of Object.entries(result.data.banks) as Array<
    [SandboxBankId, z.infer<typeof bankEntry> | undefined]
  >) {
    if (!entry) continue;
    let state: BankStateSnapshot;
    try {
      state = parseBankStateSnapshot(entry.state);
    } catch (err) {
      throw new SnapshotFormatError(`bank ${bank}: ${(err as Error).message}`);
    }
    if (state.bank !== bank) throw new SnapshotFormatError(`bank ${bank}: snapshot is of bank ${state.bank}`);
    banks[bank] = { state, tpps: entry.tpps };
  }
  return {
    version: SANDBOX_STATE_FILE_VERSION,
    savedAt: result.data.savedAt,
    clockOffsetMs: result.data.clockOffsetMs,
    banks,
  };
}

export type LoadOutcome =
  | { kind: 'missing' }
  | { kind: 'loaded'; file: SandboxStateFile }
  /** Unusable: moved to `movedTo` (undefined when even that failed); start empty. */
  | { kind: 'corrupt'; reason: string; movedTo: string | undefined };

/** Reads `path`; a file that is not a state file this code wrote is moved aside, never deleted. */
export function loadSandboxStateFile(path: string): LoadOutcome {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return {
      kind: 'corrupt',
      reason: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      movedTo: undefined,
    };
  }
  try {
    return { kind: 'loaded', file: parseSandboxStateFile(text) };
  } catch (err) {
    return { kind: 'corrupt', reason: (err as Error).message, movedTo: moveAside(path) };
  }
}

/** `<path>.corrupt-<timestamp>`, kept for inspection; undefined when the rename failed. */
export function moveAside(path: string, now = new Date()): string | undefined {
  const target = `${path}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(path, target);
    return target;
  } catch {
    return undefined;
  }
}

/**
 * Writes the file atomically: a fresh temp file (mode 0600) in the same directory, fsync, rename.
 * A crash mid-write leaves the previous file intact; readers never see half a file.
 */
export function writeSandboxStateFile(path: string, file: SandboxStateFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(file));
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(temp);
    throw err;
  }
  closeSync(fd);
  renameSync(temp, path);
}

export interface DebouncedSaver {
  /** A change happened: save within `delayMs`, once, however many changes come meanwhile. */
  schedule(): void;
  /** Save now (if anything changed since the last save, or `force`) and cancel the pending timer. */
  flush(force?: boolean): void;
  /** Drop the pending save without saving. */
  cancel(): void;
}

/**
 * Coalesces changes into at most one save per `delayMs` (default 2 s), so a kill -9 loses at most
 * that much. The timer is unref'd: a pending save never keeps the process alive.
 */
export function createDebouncedSaver(
  save: () => void,
  opts: { delayMs?: number; onError: (err: unknown) => void },
): DebouncedSaver {
  const delayMs = opts.delayMs ?? 2000;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  const run = () => {
    timer = undefined;
    dirty = false;
    try {
      save();
    } catch (err) {
      // Keep the change pending so the next schedule or flush tries again.
      dirty = true;
      opts.onError(err);
    }
  };
  return {
    schedule() {
      dirty = true;
      if (timer) return;
      timer = setTimeout(run, delayMs);
      timer.unref();
    },
    flush(force = false) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (dirty || force) run();
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      dirty = false;
    },
  };
}
