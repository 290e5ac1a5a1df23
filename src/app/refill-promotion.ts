// After a refill took many jobs into memory, two young-generation collections (scavenges) run
// at once, one turn apart, so V8 copies the new records into the old generation now rather than
// at the first scavenges after the jobs start to fire.
//
// Why (issue 12, steady-rate lateness): the records a refill adopts (a slot, the definition and
// progress objects, the heap entry: about 1 KB a job) are young and stay alive until their job
// fires, seconds later. Between refill and rate the process allocates little, so no scavenge
// runs; the first ones after the rate starts find megabytes of these records alive and copy
// them twice (to the other semi-space, then to the old generation). With --trace-gc-nvp at a
// steady 1,000/s (2026-12-04): the refill 8 s before T0 adopted 3,315 jobs, and the first
// scavenge, 0.1 s after T0, paused 20.6 ms promoting 3.0 MB; the ones after it 2 to 8 ms and
// 50 to 170 KB. That pause was the worst episode of the row. Run right after the refill, the
// same copying costs the same, but while little else is due; when a rate is already running,
// it only moves work the next scavenges would have done.
//
// V8 exposes a collection to JavaScript only behind --expose-gc; the flag is set for the moment
// it takes to fetch `gc` from a fresh context, then unset, so no other context sees it.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { EngineEvents, TypedEmitter } from '../core/events.js';

/** Runs one young-generation collection. */
export type MinorGc = () => void;

/**
 * Fewer adopted jobs leave too little to copy for a pause anyone notices (about 250 KB); with
 * more, two scavenges of an otherwise idle young generation cost a few ms. At 1,000 a refill of
 * ~850 jobs before a rate was still promoted at its start (868 KB, a 4.7 ms scavenge).
 */
export const PROMOTE_AFTER_ADOPTED = 256;

/** Scavenges per promotion: a survivor is copied within the young generation first, promoted at the second. */
const SCAVENGES = 2;

/**
 * Listens for refills that adopted at least minAdopted jobs and runs SCAVENGES minor
 * collections after each, one per turn (timers due meanwhile run between them). Refills
 * while a promotion is under way join it. Answers a function that stops listening.
 */
export function promoteAfterRefills(events: TypedEmitter<EngineEvents>, gc: MinorGc | undefined = minorGc(), minAdopted = PROMOTE_AFTER_ADOPTED): () => void {
  if (!gc) return () => {};
  let left = 0;
  let timer: NodeJS.Immediate | undefined;
  const step = (): void => {
    timer = undefined;
    gc();
    if (--left > 0) timer = setImmediate(step);
  };
  const off = events.on('refilled', ({ adopted }) => {
    if (adopted < minAdopted) return;
    left = SCAVENGES; // a promotion under way starts over: the new records need both
    timer ??= setImmediate(step);
  });
  return () => {
    off();
    if (timer) clearImmediate(timer);
    timer = undefined;
  };
}

/** V8's gc() asked for a minor collection; undefined where the runtime does not allow it. */
export function minorGc(): MinorGc | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return undefined;
    return () => (gc as (options: { type: 'minor' }) => void)({ type: 'minor' });
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
