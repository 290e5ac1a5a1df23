// Times the store's writes for duetime_store_commit_seconds: the job store as the engine and the
// services see it, with each write's latency (to durable: fsync'd or committed by a quorum)
// reported by operation. Reads and everything else pass straight through.

import type { JobStore } from '../core/ports/job-store.js';

/** The writes timed: a progress commit (one per delivery outcome), a job create, a delete. */
export type TimedOperation = 'commit_progress' | 'create' | 'delete';

const TIMED: ReadonlySet<PropertyKey> = new Set(['commitProgress', 'commitProgressBatch', 'create', 'delete']);
const OPERATION: Record<string, TimedOperation> = { commitProgress: 'commit_progress', commitProgressBatch: 'commit_progress', create: 'create', delete: 'delete' };

/**
 * The same store, each timed write reporting its duration in seconds (failed writes too: a slow
 * failure is what an operator wants to see). `now` is a monotonic clock in ms. A batch of
 * progress commits reports its duration once, with `times` = the commits in it: each outcome
 * waited that long.
 */
export function timedStore(store: JobStore, observe: (operation: TimedOperation, seconds: number, times: number) => void, now: () => number = () => performance.now()): JobStore {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let fn = wrapped.get(property);
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        if (TIMED.has(property)) {
          const operation = OPERATION[property as string]!;
          fn = (...args: unknown[]) => {
            const started = now();
            const times = property === 'commitProgressBatch' && Array.isArray(args[0]) ? args[0].length : 1;
            const done = (): void => observe(operation, (now() - started) / 1000, times);
            const result = method.apply(target, args) as Promise<unknown>;
            result.then(done, done);
            return result;
          };
        } else {
          fn = method.bind(target);
        }
        wrapped.set(property, fn);
      }
      return fn;
    },
  });
}
