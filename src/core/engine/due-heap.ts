// The due queue: a binary min-heap by due instant. Entries are never removed from the middle:
// each carries the token its slot had when pushed, and a stale one is skipped when popped.
//
// An entry holds its slot itself, not the job's key: firing then needs no lookup in the engine's
// map of slots (0.3 to 1 us per lookup at 100,000 held jobs, once per trigger). A stale entry
// keeps a forgotten or replaced slot alive until it is popped, at most the look-ahead window
// (nothing due later is pushed).
//
// Entries due at the same instant come out in key order. Their outcomes then commit in about the
// store's key order, so a COMMIT of finished one-shot jobs rewrites a few neighbouring pages
// rather than one page per job (a burst of 20,000 jobs with random names cost the SQLite store
// about twice the CPU per delivery otherwise).
//
// The heap orders by instant only, and an instant's entries are put in key order once, when the
// instant is first popped: every heap node at that instant is taken out, their entries sorted
// together (TimSort: near-linear when they were pushed in about key order, as a refill and a
// burst scheduled name after name push them), and served one by one from that run. Consecutive
// pushes at one instant (a burst being scheduled or loaded) join the first one's node instead of
// each taking a place in the heap. Ordering every tie in the heap itself compared job keys at
// each of a pop's ~15 levels: 20,000 jobs due at once cost the engine's timer about 50 ms of the
// main thread (2026-12-06, a profile of the WatchJobs burst), string compares of keys that share
// their namespace and app prefix.

import type { Slot } from './slot.js';

export interface DueEntry {
  readonly dueAt: number;
  readonly slot: Slot;
  readonly token: number;
  /** While the entry is a heap node: the entries pushed right after it at its instant. */
  more: DueEntry[] | undefined;
}

const NO_RUN: DueEntry[] = [];

export class DueHeap {
  private heads: DueEntry[] = [];
  /** The node of the last push while it is in the heap: a push at its instant joins it. */
  private tail: DueEntry | undefined;
  /** The instant being served, in key order, and the index of its next entry. */
  private run = NO_RUN;
  private next = 0;

  /** The earliest instant held, or undefined when empty. */
  nextDueAt(): number | undefined {
    const top = this.heads[0];
    if (this.next < this.run.length) {
      const current = this.run[this.next]!.dueAt;
      return top !== undefined && top.dueAt < current ? top.dueAt : current;
    }
    return top?.dueAt;
  }

  push(dueAt: number, slot: Slot, token: number): void {
    const entry: DueEntry = { dueAt, slot, token, more: undefined };
    const tail = this.tail;
    if (tail !== undefined && tail.dueAt === dueAt) (tail.more ??= []).push(entry);
    else {
      this.pushHead(entry);
      this.tail = entry;
    }
  }

  /** The next entry: the earliest instant first, an instant's entries in key order. */
  pop(): DueEntry | undefined {
    if (this.next < this.run.length) {
      const current = this.run[this.next]!;
      const top = this.heads[0];
      if (top === undefined || top.dueAt >= current.dueAt) {
        if (++this.next === this.run.length) this.endRun();
        return current;
      }
      // Something earlier came in while this instant was being served: the rest of the instant
      // goes back to the heap, still in order, and is served after it.
      this.putBack();
    }
    const first = this.popHead();
    if (first === undefined) return undefined;
    const following = this.heads[0];
    if (first.more === undefined && (following === undefined || following.dueAt !== first.dueAt)) return first;
    const entries = [first];
    takeMore(first, entries);
    while (this.heads.length > 0 && this.heads[0]!.dueAt === first.dueAt) {
      const head = this.popHead()!;
      entries.push(head);
      takeMore(head, entries);
    }
    entries.sort(byKey);
    this.run = entries;
    this.next = 1;
    return entries[0];
  }

  private endRun(): void {
    this.run = NO_RUN;
    this.next = 0;
  }

  private putBack(): void {
    const rest = this.run.slice(this.next);
    this.endRun();
    const head = rest[0]!;
    head.more = rest.length > 1 ? rest.slice(1) : undefined;
    this.pushHead(head);
  }

  private pushHead(entry: DueEntry): void {
    const heads = this.heads;
    heads.push(entry);
    let i = heads.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heads[parent]!.dueAt <= entry.dueAt) break;
      heads[i] = heads[parent]!;
      i = parent;
    }
    heads[i] = entry;
  }

  private popHead(): DueEntry | undefined {
    const heads = this.heads;
    const top = heads[0];
    const last = heads.pop();
    if (top === this.tail) this.tail = undefined;
    if (top === undefined || last === undefined || heads.length === 0) return top;
    let i = 0;
    const n = heads.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heads[right]!.dueAt < heads[left]!.dueAt ? right : left;
      if (heads[child]!.dueAt >= last.dueAt) break;
      heads[i] = heads[child]!;
      i = child;
    }
    heads[i] = last;
    return top;
  }
}

/** Moves a node's followers into `into` and makes it a plain entry again. */
function takeMore(head: DueEntry, into: DueEntry[]): void {
  const more = head.more;
  if (more === undefined) return;
  head.more = undefined;
  for (const entry of more) into.push(entry);
}

function byKey(a: DueEntry, b: DueEntry): number {
  return a.slot.keyStr < b.slot.keyStr ? -1 : a.slot.keyStr > b.slot.keyStr ? 1 : 0;
}
