// How many jobs each app holds in etcd, for --max-jobs-per-app (app/app-quota.ts), without a
// read per schedule. etcd keeps no count per app: the only count is a count-only Range over the
// app's definitions (one contiguous range, key-layout.ts), which walks etcd's in-memory key index,
// so its cost grows with the app's jobs (etcd 3.4 on the 2-core machine, 2026-12-05: 1,000 keys
// 0.4 ms of etcd CPU, 100,000 keys 15 ms, 1,000,000 keys 316 ms; about 0.3 µs a key). A schedule
// must not pay that, and a hostile app at its limit must not be able to make etcd pay it per
// request. So each replica keeps, per app:
//
//   base      the count of the last read, at etcd revision baseRevision
//   own       this replica's own creates (+1) and deletes (-1) answered at a revision after it
//             (the store reports each with the revision of its transaction, so a write the read
//             already saw is never counted twice, whatever order the answers arrive in)
//
// and answers base + own. Per app:
//
//   absent --count()--> reading (the first read; every caller meanwhile waits for it)
//   reading --answered--> fresh | --failed--> absent (callers get the error; the next one reads)
//   fresh --refreshIntervalMs(base) passed, or the clock went back--> stale
//   stale --count()--> refreshing (callers wait for it) --answered--> fresh | --failed--> stale
//
// What it misses is the other replicas' writes since its last read (and deletes this replica made
// outside delete/deleteByPrefix/purgeFinished: a job deleted as it finishes, with
// --tombstone-ttl 0s): at most one refresh interval old. The cost in etcd: one count-only read
// per app per interval per replica, only while the app schedules, whatever its rate.

import type { Clock } from '../../core/clock.js';
import { appKeyString } from '../../core/model/job-key.js';

/** What one count-only read answered: the count, and the etcd revision it was read at. */
export interface CountRead {
  count: number;
  revision: number;
}

export interface AppJobCountsOptions {
  /** Apps whose count is kept; past it the one counted longest ago is dropped (read again when used). @defaultValue 10000 */
  maxApps?: number;
}

/** The shortest wait between two counts of one app: below 33,333 jobs a count costs etcd under 10 ms. */
export const MIN_REFRESH_MS = 1_000;
/**
 * The wait grows with the app's count (30 ms per 1,000 jobs, at 0.3 µs of etcd CPU per key
 * counted), so that counting one app costs each replica at most about 1% of an etcd core:
 * 1,000,000 jobs are counted every 30 s.
 */
export const REFRESH_MS_PER_JOB = 0.03;
/** The longest wait: Retry-After of an app at the limit is 60 s, and room made by then is seen then. */
export const MAX_REFRESH_MS = 60_000;
const DEFAULT_MAX_APPS = 10_000;

/** How long a count of `count` jobs is used before the app is counted again. */
export function refreshIntervalMs(count: number): number {
  return Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, Math.round(count * REFRESH_MS_PER_JOB)));
}

interface AppCount {
  namespace: string;
  appId: string;
  /** undefined until the first read answers. */
  base: number | undefined;
  baseRevision: number;
  /** When the read that gave base was sent (the count is at least this old). */
  readAt: number;
  /** Own writes answered after baseRevision. */
  own: number;
  /** The read in flight, and the own writes answered meanwhile (kept until its revision is known). */
  reading?: { done: Promise<void>; writes: Array<{ revision: number; delta: number }> };
}

export class AppJobCounts {
  private readonly apps = new Map<string, AppCount>();
  private readonly maxApps: number;

  constructor(
    private readonly read: (namespace: string, appId: string) => Promise<CountRead>,
    private readonly clock: Clock,
    options: AppJobCountsOptions = {},
  ) {
    this.maxApps = Math.max(1, options.maxApps ?? DEFAULT_MAX_APPS);
  }

  /** The app's jobs: the last count read from etcd (at most one interval old) plus this replica's writes since. */
  count(namespace: string, appId: string): Promise<number> {
    const id = appKeyString(namespace, appId);
    let app = this.apps.get(id);
    if (app === undefined) {
      app = { namespace, appId, base: undefined, baseRevision: 0, readAt: 0, own: 0 };
      this.keep(id, app);
    }
    const counted = app;
    if (counted.reading === undefined && counted.base !== undefined) {
      const age = this.clock.now() - counted.readAt;
      if (age >= 0 && age < refreshIntervalMs(counted.base)) return Promise.resolve(current(counted));
    }
    return (counted.reading?.done ?? this.refresh(id, counted)).then(() => current(counted));
  }

  /**
   * A create (+1) or delete (-1) this replica wrote for the app, answered at etcd revision
   * `revision`. Kept only for an app being counted: the first read of any other finds it in etcd.
   */
  note(namespace: string, appId: string, revision: number, delta: number): void {
    if (this.apps.size === 0) return;
    const app = this.apps.get(appKeyString(namespace, appId));
    if (app === undefined) return;
    app.reading?.writes.push({ revision, delta });
    if (app.base !== undefined && revision > app.baseRevision) app.own += delta;
  }

  private refresh(id: string, app: AppCount): Promise<void> {
    const sentAt = this.clock.now();
    const writes: Array<{ revision: number; delta: number }> = [];
    const done = this.read(app.namespace, app.appId).then(
      ({ count, revision }) => {
        app.reading = undefined;
        app.base = count;
        app.baseRevision = revision;
        app.readAt = sentAt;
        // Writes answered before the read was sent are in its count (etcd's reads are
        // linearizable); of those answered since, the ones after its revision are not.
        app.own = 0;
        for (const write of writes) if (write.revision > revision) app.own += write.delta;
        // Freshly counted: the last to be dropped.
        if (this.apps.get(id) === app) {
          this.apps.delete(id);
          this.apps.set(id, app);
        }
      },
      (error: unknown) => {
        app.reading = undefined;
        throw error;
      },
    );
    app.reading = { done, writes };
    return done;
  }

  private keep(id: string, app: AppCount): void {
    if (this.apps.size >= this.maxApps) {
      // Map order is the order of the last count: the first is the one counted longest ago.
      const oldest = this.apps.keys().next();
      if (!oldest.done) this.apps.delete(oldest.value);
    }
    this.apps.set(id, app);
  }
}

function current(app: AppCount): number {
  return Math.max(0, (app.base ?? 0) + app.own);
}
