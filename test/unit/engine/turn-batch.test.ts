// TurnBatch: what one flush holds, and when it runs (counted in turns of the event loop, not timed).

import { describe, expect, it } from 'vitest';
import { TurnBatch } from '../../../src/core/engine/turn-batch.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TurnBatch', () => {
  it('flushes what was added in one turn together, once that turn is over', async () => {
    const flushed: number[][] = [];
    const batch = new TurnBatch<number>(async (items) => void flushed.push(items), 100);
    const adds = [1, 2, 3].map((n) => batch.add(n));
    await Promise.resolve();
    expect(flushed).toEqual([]); // items settling later in this turn (other sockets' callbacks) still join
    await nextTurn();
    expect(flushed).toEqual([[1, 2, 3]]);
    await Promise.all(adds);
  });

  it('a batch that reaches its limit flushes without waiting for the turn to end', async () => {
    // A synchronous deliverer settles a whole burst in microtasks: its outcomes must not pile up
    // (kept alive, then promoted by the GC) until the loop turns.
    const flushed: number[] = [];
    let turns = 0;
    const batch = new TurnBatch<number>(async (items) => void flushed.push(items.length), 4);
    setImmediate(() => turns++);
    const adds: Array<Promise<void>> = [];
    for (let i = 0; i < 10; i++) {
      adds.push(batch.add(i));
      await Promise.resolve();
    }
    expect(turns).toBe(0);
    expect(flushed).toEqual([4, 4]);
    await Promise.all(adds);
    expect(flushed).toEqual([4, 4, 2]);
  });

  it('every add answers the promise of the flush that took its item', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batch = new TurnBatch<number>(async (items) => {
      if (items[0] === 0) await gate;
      order.push(`flushed ${items.join(',')}`);
    }, 2);
    const first = batch.add(0).then(() => order.push('first'));
    const third = batch.add(1).then(() => order.push('second'));
    const later = batch.add(2).then(() => order.push('third'));
    await later;
    expect(order).toEqual(['flushed 2', 'third']);
    release();
    await Promise.all([first, third]);
    expect(order).toEqual(['flushed 2', 'third', 'flushed 0,1', 'first', 'second']);
  });
});
