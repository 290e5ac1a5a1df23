// Removes the jobStateStore payload of a job that finished (no further tick: the engine deleted
// it, or kept it as a tombstone, which is shown without its data). The engine's 'finished' event
// names the payload of the job that finished, also when it had no attempt at all (its ttl passed,
// or its catch-up policy left it no tick, while the node was down).

import type { EngineEvents, TypedEmitter } from '../../core/events.js';
import type { JobPayloads } from './job-payloads.js';

/** Wires the removal; returns a function that unwires it. */
export function discardFinishedPayloads(events: TypedEmitter<EngineEvents>, payloads: JobPayloads): () => void {
  return events.on('finished', ({ dataRef }) => {
    if (dataRef) void payloads.discard(dataRef, 'finished');
  });
}
