/**
 * Serialises async work per key: the engine is the one writer of a job's progress, and this is
 * how it keeps an outcome commit, a pause and a manual trigger of one job from interleaving.
 *
 * A key with nothing running (the usual case: one outcome per job at a time) starts its work at
 * once, with one promise of bookkeeping; work for a busy key waits in that key's queue, first in
 * first out. This runs once per delivery, so it avoids a chain of promises per call.
 */

interface Lane {
  /** Work queued behind the one running, each starting it when called. */
  waiting: Array<() => void>;
}

export class KeyLocks {
  private lanes = new Map<string, Lane>();
  private drained: Array<() => void> = [];
  /** Callbacks waiting for a key to be free, by key (whenFree). */
  private freed = new Map<string, Array<() => void>>();

  /**
   * Runs fn once everything queued for the key before it has settled; the key counts as locked
   * from this call until fn's promise settles. The answer is fn's promise (a synchronous throw
   * becomes a rejection).
   */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lane = this.lanes.get(key);
    if (!lane) {
      const fresh: Lane = { waiting: [] };
      // Registered before fn runs, so work fn queues for the same key waits behind it.
      this.lanes.set(key, fresh);
      return this.start(key, fresh, fn);
    }
    // Held by tryHold with the shared lane: this key gets a lane of its own to queue in.
    const own = lane === HELD ? this.ownLane(key) : lane;
    const queued = new Promise<T>((resolve, reject) => {
      own.waiting.push(() => {
        this.start(key, own, fn).then(resolve, reject);
      });
    });
    queued.catch(ignore); // handled, like fn's own promise in start()
    return queued;
  }

  /**
   * Takes the key's lock at once if nothing holds it, for work that settles outside a promise of
   * its own (the engine's batched outcome commits); false when the key is busy. Every true must
   * be followed by exactly one release(key).
   */
  tryHold(key: string): boolean {
    if (this.lanes.has(key)) return false;
    // Every delivery's outcome takes one: no lane object per hold until something queues.
    this.lanes.set(key, HELD);
    return true;
  }

  /** Ends a hold taken by tryHold: work queued for the key meanwhile starts. */
  release(key: string): void {
    const lane = this.lanes.get(key);
    if (lane) this.next(key, lane);
  }

  /**
   * Calls fn once nothing holds or waits for the key: now if it is free, else right after the
   * last work queued for it has settled. For news that listeners may act on by taking the key
   * (the engine's 'staged' event: a release must find the job unlocked, or it skips it).
   */
  whenFree(key: string, fn: () => void): void {
    if (!this.lanes.has(key)) {
      fn();
      return;
    }
    const waiting = this.freed.get(key);
    if (waiting) waiting.push(fn);
    else this.freed.set(key, [fn]);
  }

  isLocked(key: string): boolean {
    return this.lanes.has(key);
  }

  /** Resolves when every queued operation has finished. */
  drain(): Promise<void> {
    if (this.lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private start<T>(key: string, lane: Lane, fn: () => Promise<T>): Promise<T> {
    let result: Promise<T>;
    try {
      result = fn();
    } catch (error) {
      result = Promise.reject(error);
    }
    // Also marks a rejection as handled here: callers may fire and forget (the engine reports
    // its own errors), as they could when the lock was a promise chain.
    const next = (): void => this.next(key, lane);
    result.then(next, next);
    return result;
  }

  private ownLane(key: string): Lane {
    const lane: Lane = { waiting: [] };
    this.lanes.set(key, lane);
    return lane;
  }

  private next(key: string, lane: Lane): void {
    const waiting = lane === HELD ? undefined : lane.waiting.shift();
    if (waiting) {
      waiting();
      return;
    }
    this.lanes.delete(key);
    const freed = this.freed.get(key);
    if (freed) {
      this.freed.delete(key);
      for (const fn of freed) fn();
    }
    if (this.lanes.size === 0 && this.drained.length > 0) {
      const drained = this.drained;
      this.drained = [];
      for (const resolve of drained) resolve();
    }
  }
}

function ignore(): void {}

/** The lane of a key held by tryHold with nothing queued behind it; never queued in itself. */
const HELD: Lane = Object.freeze({ waiting: Object.freeze([]) as unknown as Array<() => void> });
