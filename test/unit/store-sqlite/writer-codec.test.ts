// The writer thread's batch encoding: every kind of write comes back exactly as it was encoded,
// across a real structured clone (as postMessage makes), and a batch cut short is refused rather
// than applied in part.

import { describe, expect, it } from 'vitest';
import { decodeOps, encodeOps, encodeProgressCommits } from '../../../src/adapters/store-sqlite/writer-codec.js';
import { progressArgs, type ProgressArgs } from '../../../src/adapters/store-sqlite/row-codec.js';
import type { Progress } from '../../../src/core/model/job.js';
import type { ProgressCommit } from '../../../src/core/ports/job-store.js';
import type { WriteOp } from '../../../src/adapters/store-sqlite/write-ops.js';

const progress: ProgressArgs = [3, 0, 2, 1, 1_700_000_000_000, 1_700_000_001_000, 1_700_000_002_000, null, null, null, 0, 1_700_000_002_000, null, null];
const finished: ProgressArgs = [9, 2, 5, 0, null, null, null, 1_700_000_000_500, 2, 1_700_000_000_900, 1, null, 1_700_000_003_000, 1_700_000_004_000];
const key = { namespace: 'default', app_id: 'app', name: 'job-ü-1' };
const guard = { ...key, uid: '0b6e9f7a-2f6c-4c1e-9a51-6f1c2d3e4f50', expected_rev: 2 };

const ops: WriteOp[] = [
  { kind: 'create', row: { ...key, uid: guard.uid, def: '{"createdAt":1,"data":{"n":1}}', progress }, overwrite: false },
  { kind: 'create', row: { ...key, name: 'other', uid: 'not-a-uuid', def: '{}', progress: finished }, overwrite: true },
  { kind: 'progress', guard, progress, key: guard, entry: '{"outcome":"delivered"}' },
  { kind: 'progress', guard, progress: finished, key: guard, entry: undefined },
  { kind: 'progress', guard, progress, key: { namespace: 'ns2', app_id: 'a2', name: 'n2' }, entry: undefined },
  { kind: 'deleteIf', guard, key: guard },
  { kind: 'deleteIf', guard, key: { namespace: 'ns2', app_id: 'a2', name: 'n2' } },
  {
    kind: 'progressBatch',
    ops: [
      { kind: 'progress', guard, progress, key: guard, entry: '{}' },
      { kind: 'deleteIf', guard, key: guard },
    ],
  },
  { kind: 'progressBatch', ops: [] },
  { kind: 'delete', key },
  { kind: 'deleteByPrefix', range: { namespace: 'default', app_id: 'app', lower: 'a' }, upper: 'b' },
  { kind: 'deleteByPrefix', range: { namespace: 'default', app_id: 'app', lower: '' }, upper: undefined },
  { kind: 'purgeFinished', finishedBefore: 1_700_000_000_000, limit: 500 },
];

describe('the writer thread batch encoding', () => {
  it('gives back every kind of write exactly, after a structured clone', () => {
    expect(decodeOps(structuredClone(encodeOps(ops)))).toEqual(ops);
  });

  it('gives back each write alone and an empty batch', () => {
    for (const op of ops) expect(decodeOps(structuredClone(encodeOps([op])))).toEqual([op]);
    expect(decodeOps(encodeOps([]))).toEqual([]);
  });

  it('decodes a progress commit keyed by its guard with the guard as its key', () => {
    const [decoded] = decodeOps(structuredClone(encodeOps([ops[2]!])));
    expect(decoded?.kind === 'progress' && decoded.key).toBe(decoded?.kind === 'progress' && decoded.guard);
  });

  it('decoded in place (the writer thread), a progress batch stays in the wire: its position and count', () => {
    const wire = structuredClone(encodeOps(ops));
    const decoded = decodeOps(wire, true);
    const objects = decodeOps(wire);
    expect(decoded.length).toBe(objects.length);
    decoded.forEach((op, i) => {
      const object = objects[i]!;
      if (object.kind !== 'progressBatch') return expect(op).toEqual(object);
      expect(op.kind).toBe('progressWire');
      if (op.kind !== 'progressWire') return;
      expect(op.wire).toBe(wire);
      expect(op.count).toBe(object.ops.length);
      // What is there, decoded as objects, is the batch's writes.
      const length = object.ops.reduce((sum, one) => sum + (one.kind === 'progress' ? 22 : 7), 0);
      expect(decodeOps([3, op.count, ...wire.slice(op.at, op.at + length)])).toEqual([object]);
    });
    const batch = encodeOps([ops[7]!]);
    expect(() => decodeOps(batch.slice(0, batch.length - 1), true)).toThrow(/malformed write batch: it ends inside a write/);
    expect(() => decodeOps([3, 1, 99], true)).toThrow(/malformed write batch: tag 99/);
  });

  it('refuses a batch cut short or of an unknown tag', () => {
    const wire = encodeOps(ops.slice(0, 3));
    for (const cut of [1, 5, 10, wire.length - 1]) expect(() => decodeOps(wire.slice(0, cut))).toThrow(/malformed write batch/);
    expect(() => decodeOps([99])).toThrow(/malformed write batch: tag 99/);
  });
});

describe('the engine\'s outcomes encoded straight from their commits', () => {
  const uid = '0b6e9f7a-2f6c-4c1e-9a51-6f1c2d3e4f50';
  const commitKey = { namespace: 'default', appId: 'app', name: 'job-ü-1' };
  const at = 1_700_000_000_000;
  const history = { scheduledAt: at, at: at + 5, attempt: 1, outcome: 'success' as const, manual: false };
  const live = { rev: 3, count: 2, attempts: 1, lastTrigger: at, state: 'active' as const, tickAt: at + 1_000, nextAt: at + 2_000, staged: false };
  const done = { rev: 3, count: 5, attempts: 0, state: 'completed' as const, finishedAt: at + 9 };

  it('decodes to the progress batch the store would build from the same commits', () => {
    const commits: ProgressCommit[] = [
      { key: commitKey, uid, expectedRev: 2, progress: live, history },
      { key: commitKey, uid, expectedRev: 2, progress: done },
      { key: commitKey, uid: 'not-a-uuid', expectedRev: 7, progress: null },
    ];
    const wire: unknown[] = [];
    encodeProgressCommits(commits, wire);
    const g = (u: string, rev: number) => ({ namespace: 'default', app_id: 'app', name: 'job-ü-1', uid: u, expected_rev: rev });
    const expected: WriteOp = {
      kind: 'progressBatch',
      ops: [
        { kind: 'progress', guard: g(uid, 2), progress: progressArgs(live), key: g(uid, 2), entry: JSON.stringify(history) },
        { kind: 'progress', guard: g(uid, 2), progress: progressArgs(done), key: g(uid, 2), entry: undefined },
        { kind: 'deleteIf', guard: g('not-a-uuid', 7), key: g('not-a-uuid', 7) },
      ],
    };
    expect(decodeOps(structuredClone(wire))).toEqual([expected]);
    expect(progressArgs(live)).toEqual([3, 0, 2, 1, at, at + 1_000, at + 2_000, null, null, null, 0, at + 2_000, null, null]);
  });

  it('throws on a revision that does not follow, or an unknown state', () => {
    expect(() => encodeProgressCommits([{ key: commitKey, uid, expectedRev: 1, progress: live }], [])).toThrow(/expectedRev \+ 1/);
    const odd = { ...live, state: 'sleeping' } as unknown as Progress;
    expect(() => encodeProgressCommits([{ key: commitKey, uid, expectedRev: 2, progress: odd }], [])).toThrow(/unknown progress state/);
  });
});
