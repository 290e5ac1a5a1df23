import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCommit, type TransactionControl } from '../../../src/adapters/store-sqlite/group-commit.js';

/** Records the transactions a batch runs; items are plain functions. */
function recordingTx(): TransactionControl & { commits: number; fullCommits: boolean[] } {
  let open = false;
  let full = true;
  const tx = {
    commits: 0,
    /** Per COMMIT, whether it ran with synchronous = FULL. */
    fullCommits: [] as boolean[],
    begin: () => void (open = true),
    commit: () => {
      open = false;
      tx.commits++;
      tx.fullCommits.push(full);
    },
    synchronous: (wanted: boolean) => {
      if (open) throw new Error('synchronous changed inside a transaction');
      full = wanted;
    },
    rollback: () => void (open = false),
    savepoint: () => {},
    release: () => {},
    rollbackTo: () => {},
    inTransaction: () => open,
  };
  return tx;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GroupCommit', () => {
  it('commits the writes of one turn together; each gets its own answer, a failure only its own', async () => {
    const tx = recordingTx();
    const writes = new GroupCommit(tx, 100);
    const failing = (): number => {
      throw new Error('taken');
    };
    const answers = Promise.allSettled([writes.submit(() => 1), writes.submit(failing), writes.submit(() => 3)]);
    await vi.advanceTimersToNextTimerAsync();
    const [one, two, three] = await answers;
    expect(one).toEqual({ status: 'fulfilled', value: 1 });
    expect(two).toMatchObject({ status: 'rejected', reason: new Error('taken') });
    expect(three).toEqual({ status: 'fulfilled', value: 3 });
    expect(tx.commits).toBe(1); // the fast attempt was rolled back; the isolated rerun committed
  });

  it('after a large batch, deferrable writes wait for more until deferMs after that flush', async () => {
    const tx = recordingTx();
    const writes = new GroupCommit(tx, 1000, { deferMs: 10, afterBatch: 3 });
    const first = [1, 2, 3].map((n) => writes.submit(() => n, true));
    await vi.advanceTimersByTimeAsync(0);
    await Promise.all(first);
    expect(tx.commits).toBe(1);

    let settled = 0;
    const later = [4, 5].map((n) => writes.submit(() => n, true).then(() => settled++));
    await vi.advanceTimersByTimeAsync(5);
    writes.submit(() => 6, true).then(() => settled++);
    expect(settled).toBe(0);
    expect(tx.commits).toBe(1);
    await vi.advanceTimersByTimeAsync(5);
    await Promise.all(later);
    expect(settled).toBe(3);
    expect(tx.commits).toBe(2); // 4, 5 and 6 in one COMMIT
  });

  it('a write that is not deferrable flushes on the next turn and takes the deferred ones along', async () => {
    const tx = recordingTx();
    const writes = new GroupCommit(tx, 1000, { deferMs: 10, afterBatch: 2 });
    await Promise.all([writes.submit(() => 1, true), writes.submit(() => 2, true), vi.advanceTimersByTimeAsync(0)]);
    const deferred = writes.submit(() => 'progress', true);
    const urgent = writes.submit(() => 'create');
    await vi.advanceTimersToNextTimerAsync();
    await expect(Promise.all([deferred, urgent])).resolves.toEqual(['progress', 'create']);
    expect(tx.commits).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('after a small batch nothing is deferred', async () => {
    const tx = recordingTx();
    const writes = new GroupCommit(tx, 1000, { deferMs: 10, afterBatch: 5 });
    await Promise.all([writes.submit(() => 1, true), vi.advanceTimersByTimeAsync(0)]);
    const next = writes.submit(() => 2, true);
    await vi.advanceTimersToNextTimerAsync();
    await expect(next).resolves.toBe(2);
    expect(tx.commits).toBe(2);
  });

  it('flushNow and close commit deferred writes at once', async () => {
    const tx = recordingTx();
    const writes = new GroupCommit(tx, 1000, { deferMs: 10, afterBatch: 1 });
    await Promise.all([writes.submit(() => 1, true), vi.advanceTimersByTimeAsync(0)]);
    const deferred = writes.submit(() => 2, true);
    writes.close();
    await expect(deferred).resolves.toBe(2);
    expect(vi.getTimerCount()).toBe(0);
    await expect(writes.submit(() => 3)).rejects.toThrow('closed');
  });

  it('a batch of writes none of which needs the fsync commits without it; one that does makes the whole batch FULL', async () => {
    const tx = recordingTx();
    const writes = new GroupCommit(tx, 1000);
    await Promise.all([writes.submit(() => 'outcome', true, false), writes.submit(() => 'outcome', true, false), vi.advanceTimersByTimeAsync(0)]);
    await Promise.all([writes.submit(() => 'outcome', true, false), writes.submit(() => 'schedule'), vi.advanceTimersByTimeAsync(0)]);
    await Promise.all([writes.submit(() => 'schedule'), vi.advanceTimersByTimeAsync(0)]);
    expect(tx.fullCommits).toEqual([false, true, true]);
  });
});
