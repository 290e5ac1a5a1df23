// Time enters the core only through this port, so the engine can be driven by a fake clock in
// tests. Instants are milliseconds since the Unix epoch.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls fn once, at or after the instant `at` (never before). */
  setTimer(at: number, fn: () => void): TimerHandle;
}

// setTimeout counts in a 32-bit signed int of ms; longer waits are re-armed in steps.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Wall-clock time from Date.now() and timers from setTimeout. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(at, fn) {
    let handle: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      const wait = at - Date.now();
      if (wait <= 0) {
        handle = undefined;
        if (!cancelled) fn();
        return;
      }
      // A timer can fire a millisecond early relative to Date.now(); re-arm until truly due,
      // so nothing downstream ever sees "due" before its instant.
      handle = setTimeout(arm, Math.min(wait, MAX_TIMEOUT_MS));
    };
    arm();
    return {
      cancel() {
        cancelled = true;
        if (handle) clearTimeout(handle);
      },
    };
  },
};
