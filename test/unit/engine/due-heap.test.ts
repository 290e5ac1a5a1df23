// The engine's due queue (core/engine/due-heap.ts): the earliest instant always comes out first,
// and one instant's entries in key order, however they were pushed: consecutive pushes share a
// heap node, an instant's nodes are merged and sorted when it is first taken, and an earlier
// instant pushed while one is being served goes first.

import { describe, expect, it } from 'vitest';
import { DueHeap, type DueEntry } from '../../../src/core/engine/due-heap.js';
import type { Slot } from '../../../src/core/engine/slot.js';

const slotOf = (name: string): Slot => ({ keyStr: `default\u0000app\u0000${name}` }) as Slot;
const name = (e: DueEntry | undefined): string | undefined => e?.slot.keyStr.split('\u0000')[2];

/** A generator of pseudo-random numbers, seeded, so a failure repeats. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function drain(heap: DueHeap): DueEntry[] {
  const out: DueEntry[] = [];
  for (let e = heap.pop(); e; e = heap.pop()) out.push(e);
  return out;
}

const byInstantThenKey = (a: DueEntry, b: DueEntry): number => a.dueAt - b.dueAt || (a.slot.keyStr < b.slot.keyStr ? -1 : a.slot.keyStr > b.slot.keyStr ? 1 : 0);

describe('DueHeap', () => {
  it('gives the earliest instant first and an instant in key order, for pushes in any order', () => {
    const next = random(7);
    for (let round = 0; round < 20; round++) {
      const heap = new DueHeap();
      let pushed = 0;
      // Few instants, many ties; some pushed in runs at one instant, some scattered.
      for (let i = 0; i < 300; i++) {
        const dueAt = 1_000 + Math.floor(next() * 8) * 10;
        const runLength = next() < 0.3 ? 1 + Math.floor(next() * 20) : 1;
        for (let j = 0; j < runLength; j++) {
          heap.push(dueAt, slotOf(`job-${Math.floor(next() * 1e6)}-${i}-${j}`), 0);
          pushed++;
        }
      }
      const out = drain(heap);
      expect(out).toHaveLength(pushed);
      expect(out).toEqual([...out].sort(byInstantThenKey));
      expect(heap.nextDueAt()).toBeUndefined();
    }
  });

  it('serves the instant due first while pushes and pops interleave', () => {
    const next = random(11);
    const heap = new DueHeap();
    const held: number[] = [];
    for (let step = 0; step < 5_000; step++) {
      if (held.length === 0 || next() < 0.55) {
        const dueAt = 1_000 + Math.floor(next() * 50);
        heap.push(dueAt, slotOf(`j-${step}`), 0);
        held.push(dueAt);
      } else {
        const earliest = Math.min(...held);
        expect(heap.nextDueAt()).toBe(earliest);
        const e = heap.pop()!;
        expect(e.dueAt).toBe(earliest);
        held.splice(held.indexOf(e.dueAt), 1);
      }
    }
    expect(drain(heap).map((e) => e.dueAt)).toEqual([...held].sort((a, b) => a - b));
  });

  it('merges the nodes of one instant pushed apart, and sorts them together', () => {
    const heap = new DueHeap();
    heap.push(10, slotOf('c'), 0);
    heap.push(10, slotOf('a'), 0); // joins the node of c
    heap.push(5, slotOf('z'), 0);
    heap.push(10, slotOf('b'), 0); // a node of its own: the last push was at 5
    heap.push(10, slotOf('d'), 0);
    expect(drain(heap).map(name)).toEqual(['z', 'a', 'b', 'c', 'd']);
  });

  it('puts an instant being served back when an earlier one arrives, and resumes it in order', () => {
    const heap = new DueHeap();
    for (const n of ['d', 'b', 'a', 'c']) heap.push(20, slotOf(n), 0);
    expect(name(heap.pop())).toBe('a');
    heap.push(15, slotOf('early'), 0);
    expect(heap.nextDueAt()).toBe(15);
    expect(name(heap.pop())).toBe('early');
    heap.push(20, slotOf('e'), 0); // joins the instant at 20 again: merged when it is taken
    expect(drain(heap).map(name)).toEqual(['b', 'c', 'd', 'e']);
  });

  it('keeps the entry it was given: slot and token', () => {
    const heap = new DueHeap();
    const slot = slotOf('x');
    heap.push(1, slot, 42);
    const e = heap.pop()!;
    expect(e.slot).toBe(slot);
    expect(e.token).toBe(42);
    expect(heap.pop()).toBeUndefined();
  });
});
