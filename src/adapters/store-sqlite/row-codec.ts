// How a job is laid out in a row of `jobs` (schema version 5): the key, uid and progress as
// columns, and the definition as compact JSON holding only what the columns do not and what is
// not a default. Bytes per row are what 10 million jobs cost on disk, so each field is stored
// once: the key is never repeated in the JSON, the uid is 16 bytes instead of 36 characters, and
// progress counters of 0 and 1 cost SQLite no payload byte at all (serial types 8 and 9).
//
// Every encoding here is exact: decoding gives back the object that was encoded (a default left
// out is put back as the shared, frozen default the request parser hands out too), which the
// store conformance suite checks field by field.

import { DEFAULT_FAILURE_POLICY, DEFAULT_FAILURE_POLICY_SOURCE } from '../../core/model/failure-policy.js';
import type { JobDefinition, JobKey, JobState, Progress } from '../../core/model/job.js';
import { indexedDueAt, indexedFinishedAt, indexedStagedAt } from '../../core/model/job.js';
import { hasDefaultPolicy, isAppTarget } from '../../core/model/shared-defaults.js';
import { APP_TARGET, decodeStoredDefinition } from '../../core/model/target.js';

const DEFAULT_CATCH_UP = 'all';
/** Fields encodeDefinition does not copy as they are: columns of their own, or stored only when not the default. */
const COLUMNS_OR_DEFAULTED: ReadonlySet<string> = new Set(['key', 'uid', 'failurePolicy', 'failurePolicySource', 'target', 'catchUp']);

/**
 * The definition's JSON without key and uid (columns of their own) and without the fields that
 * hold their defaults: the default failure policy with its default source, the app target, and
 * catchUp "all". Throws what JSON.stringify throws for a value JSON cannot hold.
 */
export function encodeDefinition(def: JobDefinition): string {
  const { failurePolicy, failurePolicySource, target, catchUp } = def;
  // The other fields copied by a loop: a rest pattern ({ key, uid, ...rest }) copies through a
  // runtime call, about 1% of the main thread's CPU per HTTP schedule (2026-12-04, perf).
  const stored: Record<string, unknown> = {};
  for (const field of Object.keys(def)) {
    if (!COLUMNS_OR_DEFAULTED.has(field)) stored[field] = def[field as keyof JobDefinition];
  }
  if (!hasDefaultPolicy(def)) {
    stored.failurePolicy = failurePolicy;
    stored.failurePolicySource = failurePolicySource;
  }
  if (!isAppTarget(target)) stored.target = target;
  if (catchUp !== DEFAULT_CATCH_UP) stored.catchUp = catchUp;
  return JSON.stringify(stored);
}

/** The definition back from its row: key and uid from the columns, defaults put back. */
export function decodeDefinition(key: JobKey, uid: string, json: string): JobDefinition {
  const stored = JSON.parse(json) as Partial<JobDefinition>;
  const def = {
    key,
    uid,
    ...stored,
    // The policy and its source are left out together, only when both are the default. The
    // shared defaults, not copies: three objects less for each job a refill holds in memory.
    ...(stored.failurePolicy === undefined ? { failurePolicy: DEFAULT_FAILURE_POLICY, failurePolicySource: DEFAULT_FAILURE_POLICY_SOURCE } : {}),
    target: stored.target ?? APP_TARGET,
    catchUp: stored.catchUp ?? DEFAULT_CATCH_UP,
  } as JobDefinition;
  // Records written before targets were typed are decoded into today's target.
  return decodeStoredDefinition(def);
}

/**
 * A definition JSON as versions 1 to 4 stored it (the whole JobDefinition, key and uid included),
 * in the compact form; for the migration to version 5.
 */
export function compactLegacyDefinition(json: string): string {
  return encodeDefinition(JSON.parse(json) as JobDefinition);
}


/**
 * The uid column: a lowercase UUID (what the services generate) as its 16 bytes, any other uid
 * as text. Deterministic, so a guard compares the encoded form with `uid = ?`.
 */
export function uidColumn(uid: string): string | Buffer {
  return uidInto(uid, Buffer.allocUnsafe(16));
}

/** One Buffer for uidArgument: every use binds it before the next call. */
const SCRATCH_UID = Buffer.alloc(16);

/**
 * The uid column as uidColumn encodes it, for a statement run at once: a UUID's bytes are written
 * into one shared Buffer, not a new one per write (a guarded progress write per delivery outcome
 * made one: an object and garbage per outcome on the writer thread). Safe because better-sqlite3
 * binds a Buffer by copying it (SQLITE_TRANSIENT) when the statement runs: use the answer only
 * as an argument of runs made before the next call.
 */
export function uidArgument(uid: string): string | Buffer {
  return uidInto(uid, SCRATCH_UID);
}

function uidInto(uid: string, bytes: Buffer): string | Buffer {
  // Checked and decoded in one pass over the character codes: the regular expression, the
  // dash-free copy and the hex decode cost about 0.5 us per write (every schedule and every
  // outcome commit encodes one), this about 0.15.
  if (uid.length !== 36 || uid.charCodeAt(8) !== DASH || uid.charCodeAt(13) !== DASH || uid.charCodeAt(18) !== DASH || uid.charCodeAt(23) !== DASH) return uid;
  for (let i = 0, at = 0; i < 16; i++, at += 2) {
    if (at === 8 || at === 13 || at === 18 || at === 23) at++;
    const high = hexDigit(uid.charCodeAt(at));
    const low = hexDigit(uid.charCodeAt(at + 1));
    if (high < 0 || low < 0) return uid;
    bytes[i] = (high << 4) | low;
  }
  return bytes;
}

const DASH = 0x2d;

/** A lowercase hex digit's value, else -1 (an uppercase UUID stays text, as it always has). */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

export function uidOf(column: string | Buffer): string {
  if (typeof column === 'string') return column;
  if (column.length !== 16) return column.toString('hex'); // never written by uidColumn
  // Written as ASCII into one Buffer and read back as one flat string: joining the five hex
  // pieces made a chain of four concatenation nodes, five heap objects for every job a refill
  // holds in memory (docs/sizing.md), which each major collection marks one by one.
  for (let i = 0, at = 0; i < 16; i++, at += 2) {
    if (at === 8 || at === 13 || at === 18 || at === 23) UID_TEXT[at++] = DASH;
    const byte = column[i]!;
    UID_TEXT[at] = HEX_CODES[byte >> 4]!;
    UID_TEXT[at + 1] = HEX_CODES[byte & 15]!;
  }
  return UID_TEXT.toString('latin1', 0, 36);
}

/** uidOf's scratch: the 36 characters of a UUID before they become a string. */
const UID_TEXT = Buffer.alloc(36);
const HEX_CODES = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

const STATES: readonly JobState[] = ['active', 'paused', 'completed', 'failed'];
const STATE_CODES: Record<JobState, number> = { active: 0, paused: 1, completed: 2, failed: 3 };

/** The progress columns in the order of PROGRESS_COLUMNS; the last three are the index columns. */
export type ProgressArgs = [
  rev: number,
  state: number,
  count: number,
  attempts: number,
  lastTrigger: number | null,
  tickAt: number | null,
  nextAt: number | null,
  manualAt: number | null,
  manualAttempts: number | null,
  manualNextAt: number | null,
  staged: number | null,
  dueAt: number | null,
  stagedAt: number | null,
  finishedAt: number | null,
];

/** Column names of ProgressArgs, in order, as SQL. */
export const PROGRESS_COLUMNS = 'rev, state, count, attempts, last_trigger, tick_at, next_at, manual_at, manual_attempts, manual_next_at, staged, due_at, staged_at, finished_at';

/**
 * Progress as columns. due_at, staged_at and finished_at file the job in the due, staged and
 * finished indexes; finished_at is also where a tombstone's finishedAt is kept.
 */
export function progressArgs(p: Progress): ProgressArgs {
  const args: unknown[] = [];
  pushProgressColumns(p, args);
  return args as ProgressArgs;
}

/**
 * The same columns appended to `out` (the writer thread's flat batch, writer-codec.ts), without an
 * array of their own. Throws on an unknown state, before appending anything.
 */
export function pushProgressColumns(p: Progress, out: unknown[]): void {
  const state = STATE_CODES[p.state];
  if (state === undefined) throw new RangeError(`unknown progress state "${String(p.state)}"`);
  out.push(
    p.rev,
    state,
    p.count,
    p.attempts,
    p.lastTrigger ?? null,
    p.tickAt ?? null,
    p.nextAt ?? null,
    p.manualAt ?? null,
    p.manualAttempts ?? null,
    p.manualNextAt ?? null,
    p.staged === undefined ? null : p.staged ? 1 : 0,
    indexedDueAt(p) ?? null,
    indexedStagedAt(p) ?? null,
    indexedFinishedAt(p) ?? null,
  );
}

/** The progress columns as a read returns them. */
export interface ProgressRow {
  rev: number;
  state: number;
  count: number;
  attempts: number;
  last_trigger: number | null;
  tick_at: number | null;
  next_at: number | null;
  manual_at: number | null;
  manual_attempts: number | null;
  manual_next_at: number | null;
  staged: number | null;
  finished_at: number | null;
}

/** The read columns of a progress, as SQL (the index columns due_at and staged_at are derived, not read). */
export const PROGRESS_READ_COLUMNS = 'rev, state, count, attempts, last_trigger, tick_at, next_at, manual_at, manual_attempts, manual_next_at, staged, finished_at';

export function progressOf(row: ProgressRow): Progress {
  const state = STATES[row.state];
  if (state === undefined) throw new RangeError(`unknown progress state code ${row.state}`);
  const p: Progress = { rev: row.rev, count: row.count, attempts: row.attempts, state };
  if (row.last_trigger !== null) p.lastTrigger = row.last_trigger;
  if (row.tick_at !== null) p.tickAt = row.tick_at;
  if (row.next_at !== null) p.nextAt = row.next_at;
  if (row.manual_at !== null) p.manualAt = row.manual_at;
  if (row.manual_attempts !== null) p.manualAttempts = row.manual_attempts;
  if (row.manual_next_at !== null) p.manualNextAt = row.manual_next_at;
  if (row.staged !== null) p.staged = row.staged === 1;
  // finished_at is set exactly for a tombstone, from its finishedAt.
  if (row.finished_at !== null) p.finishedAt = row.finished_at;
  return p;
}
