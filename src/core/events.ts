// The engine's typed events: metrics, logs and tests listen here instead of polling or sleeping.

import type { DataRef, FinishedState, JobKey, TickOutcome } from './model/job.js';
import type { Trigger } from './model/trigger.js';

export interface EngineEvents {
  /** A trigger was handed to delivery. */
  dispatched: { trigger: Trigger; at: number };
  /**
   * An attempt finished. `lateMs` = when delivery started minus the attempt's due instant.
   * `retryAt`: for a failed attempt, when the next one is due. `released`: the trigger had been
   * staged and went out with a release of its app's staged triggers.
   */
  attempted: { trigger: Trigger; outcome: TickOutcome; detail?: string; startedAt: number; finishedAt: number; lateMs: number; retryAt?: number; released?: boolean };
  /**
   * A job has no further tick: deleted, or kept as a tombstone in `state` (completed: its last
   * tick was delivered or it had none left; failed: its last tick was given up). `dataRef`: its
   * jobStateStore payload, when it has one, for the listener that discards it.
   */
  finished: { key: JobKey; count: number; state?: FinishedState; dataRef?: DataRef };
  /** A job's trigger found no consumer and is now filed in the store's staged index. */
  staged: { key: JobKey };
  /** The set of jobs this replica fires changed (cluster partitions moved) and was loaded. */
  ownership: Record<string, never>;
  /** A refill ended having taken `adopted` jobs from the store into memory (emitted only when some were). */
  refilled: { adopted: number };
  /** A store or commit failure, retried. */
  error: { error: unknown; context: string };
}

type Listener<T> = (payload: T) => void;

/**
 * Listeners are isolated: one that throws is reported to onListenerError and the others still
 * run, so a metrics or logging bug can never wedge the engine that emitted the event.
 */
export class TypedEmitter<E extends object> {
  /**
   * Listeners per event, in an array replaced (never changed) on on() and off(): emit runs once
   * or twice per trigger, and for...of over a Set allocated an iterator each time. An emit under
   * way goes on over the array it started with.
   */
  private listeners = new Map<keyof E, ReadonlyArray<Listener<never>>>();

  constructor(private readonly onListenerError: (event: keyof E, error: unknown) => void = () => {}) {}

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const added = listener as Listener<never>;
    const current = this.listeners.get(event) ?? [];
    if (!current.includes(added)) this.listeners.set(event, [...current, added]);
    return () => {
      const now = this.listeners.get(event);
      if (now?.includes(added)) this.listeners.set(event, now.filter((l) => l !== added));
    };
  }

  /** Whether anyone listens: an emitter on a hot path can skip building a payload nobody reads. */
  has(event: keyof E): boolean {
    const list = this.listeners.get(event);
    return list !== undefined && list.length > 0;
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const list = this.listeners.get(event);
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      try {
        (list[i] as Listener<E[K]>)(payload);
      } catch (error) {
        try {
          this.onListenerError(event, error);
        } catch {
          // The error handler itself failed: nothing is left to tell, and the emitter goes on.
        }
      }
    }
  }

  /** Resolves with the first payload that satisfies the predicate. */
  once<K extends keyof E>(event: K, predicate: (payload: E[K]) => boolean = () => true): Promise<E[K]> {
    return new Promise((resolve) => {
      const off = this.on(event, (payload) => {
        if (!predicate(payload)) return;
        off();
        resolve(payload);
      });
    });
  }
}
