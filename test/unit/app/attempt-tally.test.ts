// The attempt tally behind the attempt counters: every label set keeps its own count, whatever
// order deliveries of different apps, kinds and outcomes come in, and take() hands over each
// count once.

import { describe, expect, it } from 'vitest';
import { AttemptTally, type AttemptCount } from '../../../src/app/attempt-tally.js';

function taken(tally: AttemptTally): AttemptCount[] {
  const out: AttemptCount[] = [];
  tally.take((c) => out.push({ ...c }));
  return out;
}

describe('attempt tally', () => {
  it('counts each label set apart, interleaved or in runs, and hands each count over once', () => {
    const tally = new AttemptTally();
    for (let i = 0; i < 3; i++) tally.add('default', 'a', 'app', 'success');
    tally.add('default', 'b', 'app', 'success');
    tally.add('default', 'a', 'app', 'failed');
    tally.add('default', 'a', 'app', 'success');
    tally.add('other', 'a', 'app', 'success');
    tally.add('default', 'a', 'pubsub', 'success');
    expect(taken(tally)).toEqual([
      { namespace: 'default', appId: 'a', targetKind: 'app', outcome: 'success', count: 4 },
      { namespace: 'default', appId: 'b', targetKind: 'app', outcome: 'success', count: 1 },
      { namespace: 'default', appId: 'a', targetKind: 'app', outcome: 'failed', count: 1 },
      { namespace: 'other', appId: 'a', targetKind: 'app', outcome: 'success', count: 1 },
      { namespace: 'default', appId: 'a', targetKind: 'pubsub', outcome: 'success', count: 1 },
    ]);
    expect(taken(tally)).toEqual([]);
    tally.add('default', 'b', 'app', 'success');
    expect(taken(tally)).toEqual([{ namespace: 'default', appId: 'b', targetKind: 'app', outcome: 'success', count: 1 }]);
  });
});
