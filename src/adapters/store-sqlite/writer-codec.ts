// The writes of one batch as they cross to the writer thread: one flat array of strings, numbers,
// booleans and nulls, where positions say what each value is, instead of an object (and a row
// object, and a progress array) per write. Structured clone writes the name of every property of
// every object and the worker interns each name again on reading; posting the batches was about
// 7% of the main thread's CPU per HTTP schedule (2026-12-04 throughput profile), and the engine's
// outcome commits take the same road. The writes made once per schedule or delivery (create,
// progress, deleteIf, and batches of them) are laid out flat; rarer ones cross as themselves.

import type { ProgressCommit } from '../../core/ports/job-store.js';
import { pushProgressColumns, type ProgressArgs } from './row-codec.js';
import type { KeyParams } from './statements.js';
import { checkProgressRev, WIRE_DELETE_IF, WIRE_DELETE_IF_LENGTH, WIRE_PROGRESS, WIRE_PROGRESS_LENGTH, type ProgressOp, type ProgressWire, type WriteOp } from './write-ops.js';

/** A batch of writes as posted: encodeOps' output, decodeOps' input. */
export type WireOps = unknown[];

const CREATE = 0;
const PROGRESS = WIRE_PROGRESS;
const DELETE_IF = WIRE_DELETE_IF;
const PROGRESS_BATCH = 3;
const AS_IS = 4;
const PROGRESS_LENGTH = 14;

export function encodeOps(ops: readonly WriteOp[]): WireOps {
  const wire: unknown[] = [];
  for (const op of ops) encodeOp(op, wire);
  return wire;
}

/**
 * The writes back. `inPlace`: a progress batch (the engine's outcomes) comes back as a
 * ProgressWire, its writes left in `wire` to be applied from there (write-ops.ts), as the writer
 * thread does; otherwise as objects.
 */
export function decodeOps(wire: WireOps, inPlace = false): WriteOp[] {
  const reader = { wire, at: 0, inPlace };
  const ops: WriteOp[] = [];
  while (reader.at < wire.length) ops.push(decodeOp(reader));
  return ops;
}

/**
 * The engine's outcomes (commitProgressBatch) appended to `wire` straight from the commits, as
 * encodeOp would write the progress batch the store builds from them (progressOp): the same
 * values, without the write objects and progress arrays in between. Throws (a revision that does
 * not follow, an unknown state) with part of the batch appended: the caller cuts `wire` back.
 */
export function encodeProgressCommits(commits: readonly ProgressCommit[], wire: unknown[]): void {
  wire.push(PROGRESS_BATCH, commits.length);
  for (const commit of commits) {
    checkProgressRev(commit);
    const { namespace, appId, name } = commit.key;
    const { progress, history } = commit;
    if (progress === null) {
      wire.push(DELETE_IF, namespace, appId, name, commit.uid, commit.expectedRev, null);
      continue;
    }
    wire.push(PROGRESS, namespace, appId, name, commit.uid, commit.expectedRev, history ? JSON.stringify(history) : null, null);
    pushProgressColumns(progress, wire);
  }
}

export function encodeOp(op: WriteOp, wire: unknown[]): void {
  switch (op.kind) {
    case 'create': {
      const { namespace, app_id, name, uid, def, progress } = op.row;
      wire.push(CREATE, op.overwrite, namespace, app_id, name, uid, def);
      pushProgress(progress, wire);
      return;
    }
    case 'progress': {
      const { namespace, app_id, name, uid, expected_rev } = op.guard;
      wire.push(PROGRESS, namespace, app_id, name, uid, expected_rev, op.entry ?? null, otherKey(op.key, op.guard));
      pushProgress(op.progress, wire);
      return;
    }
    case 'deleteIf': {
      const { namespace, app_id, name, uid, expected_rev } = op.guard;
      wire.push(DELETE_IF, namespace, app_id, name, uid, expected_rev, otherKey(op.key, op.guard));
      return;
    }
    case 'progressBatch':
      wire.push(PROGRESS_BATCH, op.ops.length);
      for (const one of op.ops) encodeOp(one, wire);
      return;
    case 'progressWire':
      throw new Error('a progress batch decoded in place is applied where it is, not encoded again');
    default:
      wire.push(AS_IS, op);
  }
}

/** The progress commits' key is their guard's (progressOp makes it so): sent once, null here. */
function otherKey(key: KeyParams, guard: KeyParams): [string, string, string] | null {
  return key.namespace === guard.namespace && key.app_id === guard.app_id && key.name === guard.name ? null : [key.namespace, key.app_id, key.name];
}

function pushProgress(progress: ProgressArgs, wire: unknown[]): void {
  for (let i = 0; i < PROGRESS_LENGTH; i++) wire.push(progress[i]);
}

interface Reader {
  wire: WireOps;
  at: number;
  inPlace: boolean;
}

function decodeOp(r: Reader): WriteOp {
  const tag = next(r);
  switch (tag) {
    case CREATE: {
      const overwrite = next(r) as boolean;
      const row = { namespace: next(r) as string, app_id: next(r) as string, name: next(r) as string, uid: next(r) as string, def: next(r) as string, progress: nextProgress(r) };
      return { kind: 'create', row, overwrite };
    }
    case PROGRESS: {
      const guard = nextGuard(r);
      const entry = next(r) as string | null;
      const key = nextKey(r, guard);
      return { kind: 'progress', guard, progress: nextProgress(r), key, entry: entry ?? undefined };
    }
    case DELETE_IF: {
      const guard = nextGuard(r);
      return { kind: 'deleteIf', guard, key: nextKey(r, guard) };
    }
    case PROGRESS_BATCH: {
      const count = next(r) as number;
      if (r.inPlace) return skipProgressBatch(r, count);
      const ops: ProgressOp[] = [];
      for (let i = 0; i < count; i++) ops.push(decodeOp(r) as ProgressOp);
      return { kind: 'progressBatch', ops };
    }
    case AS_IS:
      return next(r) as WriteOp;
    default:
      throw new Error(`malformed write batch: tag ${String(tag)} at ${r.at - 1}`);
  }
}

/** A progress batch's writes, checked for their tags and lengths and left where they are. */
function skipProgressBatch(r: Reader, count: number): ProgressWire {
  const at = r.at;
  for (let i = 0; i < count; i++) {
    const tag = r.wire[r.at];
    const length = tag === PROGRESS ? WIRE_PROGRESS_LENGTH : tag === DELETE_IF ? WIRE_DELETE_IF_LENGTH : 0;
    if (length === 0) throw new Error(`malformed write batch: tag ${String(tag)} at ${r.at} in a progress batch`);
    if (r.at + length > r.wire.length) throw new Error('malformed write batch: it ends inside a write');
    r.at += length;
  }
  return { kind: 'progressWire', wire: r.wire, at, count };
}

function next(r: Reader): unknown {
  if (r.at >= r.wire.length) throw new Error('malformed write batch: it ends inside a write');
  return r.wire[r.at++];
}

function nextGuard(r: Reader): KeyParams & { uid: string; expected_rev: number } {
  return { namespace: next(r) as string, app_id: next(r) as string, name: next(r) as string, uid: next(r) as string, expected_rev: next(r) as number };
}

function nextKey(r: Reader, guard: KeyParams): KeyParams {
  const other = next(r) as [string, string, string] | null;
  return other === null ? guard : { namespace: other[0], app_id: other[1], name: other[2] };
}

function nextProgress(r: Reader): ProgressArgs {
  if (r.at + PROGRESS_LENGTH > r.wire.length) throw new Error('malformed write batch: it ends inside a progress');
  const progress = r.wire.slice(r.at, r.at + PROGRESS_LENGTH) as ProgressArgs;
  r.at += PROGRESS_LENGTH;
  return progress;
}
