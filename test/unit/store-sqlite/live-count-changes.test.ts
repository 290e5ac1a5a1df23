// The live count changes added to app_jobs at COMMIT follow the transaction: a savepoint rolled
// back takes its changes with it, a rollback all of them, and each run of one app is one write.

import { describe, expect, it } from 'vitest';
import { LiveCountChanges, type AddLive } from '../../../src/adapters/store-sqlite/live-count-changes.js';

function recorder(): { addLive: AddLive; calls: [string, string, number][] } {
  const calls: [string, string, number][] = [];
  const addLive: AddLive = {
    run: (namespace, appId, change) => {
      calls.push([namespace, appId, change]);
      return { changes: 1 };
    },
    get: () => undefined,
    all: () => [],
  };
  return { addLive, calls };
}

describe('LiveCountChanges', () => {
  it('sums each run of one app into one write, in order, skips a run that sums to 0, then starts empty', () => {
    const changes = new LiveCountChanges();
    const { addLive, calls } = recorder();
    for (const app of ['a', 'a', 'a', 'b', 'a']) changes.add('ns', app, 1);
    changes.add('ns', 'a', -1);
    changes.add('other', 'a', 1);
    changes.add('other', 'b', 1);
    changes.add('other', 'b', -1);
    changes.add('other', 'c', -1);
    changes.apply(addLive);
    expect(calls).toEqual([['ns', 'a', 3], ['ns', 'b', 1], ['other', 'a', 1], ['other', 'c', -1]]);
    changes.apply(addLive);
    expect(calls).toHaveLength(4);
  });

  it('forgets a rolled-back savepoint\'s changes and keeps the ones before it', () => {
    const changes = new LiveCountChanges();
    const { addLive, calls } = recorder();
    changes.savepoint();
    changes.add('ns', 'a', 1);
    changes.savepoint();
    changes.add('ns', 'a', 1);
    changes.add('ns', 'b', -1);
    changes.rollbackToSavepoint();
    changes.savepoint();
    changes.add('ns', 'a', 1);
    changes.apply(addLive);
    expect(calls).toEqual([['ns', 'a', 2]]);
  });

  it('forgets everything on clear (BEGIN, ROLLBACK)', () => {
    const changes = new LiveCountChanges();
    const { addLive, calls } = recorder();
    changes.add('ns', 'a', 1);
    changes.clear();
    changes.apply(addLive);
    expect(calls).toEqual([]);
  });
});
