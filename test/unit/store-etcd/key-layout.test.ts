import { describe, expect, it } from 'vitest';
import { KeyLayout } from '../../../src/adapters/store-etcd/key-layout.js';

const job = { namespace: 'ns', appId: 'app', name: 'nightly' };

describe('KeyLayout.partitionOfIndexKey', () => {
  const layout = new KeyLayout('/duetime/');

  it('reads the partition of due and staged keys the layout writes', () => {
    for (const partition of [0, 7, 42, 255, 9999]) {
      expect(layout.partitionOfIndexKey(layout.dueKey(partition, 1_700_000_000_000, job))).toEqual({ kind: 'due', partition });
      expect(layout.partitionOfIndexKey(layout.stagedKey(partition, 1_700_000_000_000, job))).toEqual({ kind: 'staged', partition });
    }
  });

  it('answers undefined for every other key', () => {
    const others = [
      layout.finishedKey(3, 1_700_000_000_000, job),
      layout.progressKey(job),
      layout.defKey(job),
      layout.ownerKey(3),
      Buffer.from('/duetime/due/'),
      Buffer.from('/duetime/due/001'),
      Buffer.from('/duetime/due/0012'), // the partition but nothing after it: not a key the layout writes
      Buffer.from('/duetime/due/00x2/0000001700000000000/ns\u0000app\u0000n'),
      Buffer.from('/duetime/staged/-001/ns'),
      Buffer.from('/other/due/0001/0000001700000000000/ns\u0000app\u0000n'),
      Buffer.from('/duetime/du'),
      Buffer.alloc(0),
    ];
    for (const key of others) expect(layout.partitionOfIndexKey(key), key.toString()).toBeUndefined();
  });

  it('follows the prefix it was made with', () => {
    const other = new KeyLayout('/tenant-b');
    expect(other.partitionOfIndexKey(other.dueKey(12, 0, job))).toEqual({ kind: 'due', partition: 12 });
    expect(other.partitionOfIndexKey(layout.dueKey(12, 0, job))).toBeUndefined();
  });
});

describe('KeyLayout keys built from a job id', () => {
  const layout = new KeyLayout('/duetime/');
  const id = layout.jobId(job);

  it('are the keys built from the job key', () => {
    expect(layout.defKeyOf(id)).toEqual(layout.defKey(job));
    expect(layout.progressKeyOf(id)).toEqual(layout.progressKey(job));
    expect(layout.historyKeyOf(id, 42)).toEqual(layout.historyKey(job, 42));
    expect(layout.dueKeyOf(7, 1_700_000_000_000, id)).toEqual(layout.dueKey(7, 1_700_000_000_000, job));
    expect(layout.finishedKeyOf(7, 1_700_000_000_000, id)).toEqual(layout.finishedKey(7, 1_700_000_000_000, job));
    expect(layout.jobOfDueKey(layout.dueKeyOf(7, 1_700_000_000_000, id))).toEqual(job);
    expect(layout.instantOfDueKey(layout.dueKeyOf(7, 1_700_000_000_000, id))).toBe(1_700_000_000_000);
  });
});
