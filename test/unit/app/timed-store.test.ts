import { describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../src/adapters/store-memory/memory-job-store.js';
import { timedStore, type TimedOperation } from '../../../src/app/timed-store.js';

describe('timedStore', () => {
  it('times creates, progress commits and deletes, failed ones too, and passes everything else through', async () => {
    const seen: Array<[TimedOperation, number, number]> = [];
    let clock = 0;
    const store = timedStore(new MemoryJobStore(), (operation, seconds, times) => seen.push([operation, seconds, times]), () => (clock += 5));
    const key = { namespace: 'ns', appId: 'app', name: 'job' };
    const record = {
      def: { key, uid: 'u', createdAt: 0, dueTime: '0s', dueAt: 0, failurePolicy: { kind: 'drop' as const }, failurePolicySource: { drop: {} }, target: { kind: 'app' as const }, catchUp: 'all' as const },
      progress: { rev: 1, count: 0, attempts: 0, tickAt: 0, nextAt: 0, state: 'active' as const },
    };
    await store.create(record, { overwrite: false });
    await expect(store.create(record, { overwrite: false })).rejects.toThrow();
    expect(await store.commitProgress({ key, uid: 'u', expectedRev: 1, progress: { ...record.progress, rev: 2 } })).toBe(true);
    expect((await store.get(key))?.progress.rev).toBe(2);
    expect((await store.delete(key))?.uid).toBe('u');
    expect(seen).toEqual([
      ['create', 0.005, 1],
      ['create', 0.005, 1],
      ['commit_progress', 0.005, 1],
      ['delete', 0.005, 1],
    ]);
    expect(store.countLive).toBeTypeOf('function');
    await store.close();
  });

  it('times a batch of progress commits once per commit in it (each outcome waited that long)', async () => {
    const seen: Array<[TimedOperation, number, number]> = [];
    let clock = 0;
    const store = timedStore(new MemoryJobStore(), (operation, seconds, times) => seen.push([operation, seconds, times]), () => (clock += 3));
    const key = (name: string) => ({ namespace: 'ns', appId: 'app', name });
    expect(await store.commitProgressBatch!([
      { key: key('a'), uid: 'u', expectedRev: 1, progress: null },
      { key: key('b'), uid: 'u', expectedRev: 1, progress: null },
    ])).toEqual([false, false]);
    expect(seen).toEqual([
      ['commit_progress', 0.003, 2],
    ]);
    await store.close();
  });
});
