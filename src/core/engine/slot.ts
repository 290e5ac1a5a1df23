// What the engine holds per job in memory (a slot) and per release of staged triggers, shared by
// the engine and its parts (staged-releases.ts, manual-operations.ts).

import { appKeyString } from '../model/job-key.js';
import type { JobRecord } from '../model/job.js';
import type { Attempt } from './attempt.js';

export type Phase = 'idle' | 'queued' | 'ready' | 'inflight';

export interface Slot {
  keyStr: string;
  record: JobRecord;
  phase: Phase;
  /** Bumped whenever the slot is re-queued, so older heap entries are recognised as stale. */
  token: number;
  removed: boolean;
  /** The delivery in flight, until its outcome is known. */
  attempt?: Attempt | undefined;
  /** The commit of the last outcome, from when it is known (phase still 'inflight' until it is committed). */
  delivery?: Promise<void> | undefined;
  /** The release that loaded this staged job, until its trigger's outcome is known. */
  release?: Release;
}

/** One app's (or, for actor hosts, one namespace's) staged triggers being released. */
export interface Release {
  key: string;
  namespace: string;
  /** undefined: every app of the namespace. */
  appId: string | undefined;
  /** Slots this release loaded whose outcome is not known yet. */
  held: number;
  reading: boolean;
  /** Asked to release again while a read was out: read once more before ending. */
  again: boolean;
  stopped: boolean;
}

/**
 * The bulkhead lane of a slot: its app. The last answer is kept: the triggers of a burst are of
 * one app or a few, and a fresh key string is copied and hashed by the lane lookup each time.
 */
export function laneOf(slot: Slot): string {
  const key = slot.record.def.key;
  if (key.appId !== lastLane.appId || key.namespace !== lastLane.namespace) lastLane = { namespace: key.namespace, appId: key.appId, key: appKeyString(key.namespace, key.appId) };
  return lastLane.key;
}

let lastLane = { namespace: '', appId: '', key: appKeyString('', '') };

/**
 * Jobs due at the same instant go out in key order (the heap leaves ties in no order): their
 * outcomes then commit in about the store's key order, so a COMMIT of finished one-shot jobs
 * rewrites a few neighbouring pages rather than one page per job. A burst of 20,000 jobs with
 * random names cost the SQLite store about twice the CPU per delivery otherwise. `due` is in
 * due order already; only runs of equal instants are sorted.
 */
export function orderTiesByKey(due: Slot[], dueAts: number[]): void {
  for (let start = 0; start < due.length; ) {
    let end = start + 1;
    while (end < due.length && dueAts[end] === dueAts[start]) end++;
    if (end - start >= MIN_TIES_TO_ORDER) {
      // One comparison per call: a slot's key is unique among the due (one slot per key).
      const run = due.slice(start, end).sort((a, b) => (a.keyStr < b.keyStr ? -1 : 1));
      for (let i = 0; i < run.length; i++) due[start + i] = run[i]!;
    }
    start = end;
  }
}

/** Fewer ties than this are left as they are: they share too few pages to matter. */
const MIN_TIES_TO_ORDER = 64;
