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
  /** The engine's upsert count when an upsert last put a record in this slot (0: none did). */
  upsertSeq: number;
  /** The delivery in flight, until its outcome is known. */
  attempt?: Attempt | undefined;
  /** The commit of the last outcome, from when it is known (phase still 'inflight' until it is committed). */
  delivery?: Promise<void> | undefined;
  /** Due, held back while a deleted job of the same name is still being delivered (engine deletedInFlight). */
  waitsForName?: boolean;
  /** The release that loaded this staged job, until its trigger's outcome is known. */
  release?: Release;
}

/** One app's staged triggers being released. */
export interface Release {
  key: string;
  namespace: string;
  appId: string;
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
