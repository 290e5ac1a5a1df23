// Removes the jobStateStore payload of a job that finished (no further tick: the engine deleted
// it). The engine's `finished` event names the job but not its uid, which the payload key holds,
// so the reference is taken from the attempt that preceded it: every attempt of a job with a
// payload reference is remembered for a while (bounded in time and count) and looked up when the
// job finishes. A job that finishes without an attempt (its ttl passed while the node was down)
// leaves its payload behind; docs/components.md says so.

import type { EngineEvents, TypedEmitter } from '../../core/events.js';
import type { DataRef } from '../../core/model/job.js';
import { keyString } from '../../core/model/job-key.js';
import type { JobPayloads } from './job-payloads.js';

export interface FinishedPayloadOptions {
  /** How long after an attempt its job's finish is still matched to it, ms. */
  windowMs: number;
  /** Most attempts remembered at once. */
  maxEntries: number;
  now: () => number;
}

export const defaultFinishedPayloadOptions: FinishedPayloadOptions = { windowMs: 10 * 60_000, maxEntries: 100_000, now: Date.now };

/** Wires the removal; returns a function that unwires it. */
export function discardFinishedPayloads(
  events: TypedEmitter<EngineEvents>,
  payloads: JobPayloads,
  options: Partial<FinishedPayloadOptions> = {},
): () => void {
  const { windowMs, maxEntries, now } = { ...defaultFinishedPayloadOptions, ...options };
  // Insertion-ordered: the oldest entry is first, so pruning stops at the first fresh one.
  const recent = new Map<string, { ref: DataRef; at: number }>();
  const offAttempted = events.on('attempted', ({ trigger }) => {
    if (!trigger.dataRef) return;
    const k = keyString(trigger.key);
    recent.delete(k);
    recent.set(k, { ref: trigger.dataRef, at: now() });
    for (const [key, entry] of recent) {
      if (recent.size <= maxEntries && entry.at >= now() - windowMs) break;
      recent.delete(key);
    }
  });
  const offFinished = events.on('finished', ({ key }) => {
    const k = keyString(key);
    const entry = recent.get(k);
    if (!entry) return;
    recent.delete(k);
    void payloads.discard(entry.ref, 'finished');
  });
  return () => {
    offAttempted();
    offFinished();
  };
}
