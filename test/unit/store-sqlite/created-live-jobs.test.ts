// The creates counted into app_jobs at COMMIT follow the transaction: a savepoint rolled back
// takes its creates with it, a rollback all of them, and each app is written once per run.

import { describe, expect, it } from 'vitest';
import { CreatedLiveJobs, type AddLive } from '../../../src/adapters/store-sqlite/created-live-jobs.js';

function recorder(): { addLive: AddLive; calls: [string, string, number][] } {
  const calls: [string, string, number][] = [];
  const addLive: AddLive = {
    run: (namespace, appId, live) => {
      calls.push([namespace, appId, live]);
      return { changes: 1 };
    },
    get: () => undefined,
    all: () => [],
  };
  return { addLive, calls };
}

describe('CreatedLiveJobs', () => {
  it('adds each run of one app once, in creation order, then starts empty', () => {
    const created = new CreatedLiveJobs();
    const { addLive, calls } = recorder();
    for (const app of ['a', 'a', 'a', 'b', 'a']) created.add('ns', app);
    created.add('other', 'a');
    created.apply(addLive);
    expect(calls).toEqual([['ns', 'a', 3], ['ns', 'b', 1], ['ns', 'a', 1], ['other', 'a', 1]]);
    created.apply(addLive);
    expect(calls).toHaveLength(4);
  });

  it('forgets a rolled-back savepoint\'s creates and keeps the ones before it', () => {
    const created = new CreatedLiveJobs();
    const { addLive, calls } = recorder();
    created.savepoint();
    created.add('ns', 'a');
    created.savepoint();
    created.add('ns', 'a');
    created.add('ns', 'b');
    created.rollbackToSavepoint();
    created.savepoint();
    created.add('ns', 'a');
    created.apply(addLive);
    expect(calls).toEqual([['ns', 'a', 2]]);
  });

  it('forgets everything on clear (BEGIN, ROLLBACK)', () => {
    const created = new CreatedLiveJobs();
    const { addLive, calls } = recorder();
    created.add('ns', 'a');
    created.clear();
    created.apply(addLive);
    expect(calls).toEqual([]);
  });
});
