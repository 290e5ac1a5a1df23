// The operations a caller asks for on one job, outside its schedule: pause, resume and a manual
// trigger. Each is a conditional progress write under the job's lock, whether or not the job is
// in memory; the engine then places the job where its new progress says.

import type { Clock } from '../clock.js';
import { JobFinishedError, JobNotFoundError, StoreConflictError } from '../errors.js';
import { keyString } from '../model/job-key.js';
import { isFinished, type JobKey, type JobRecord, type Progress } from '../model/job.js';
import type { JobStore } from '../ports/job-store.js';
import type { KeyLocks } from './key-locks.js';
import type { RefillWatch } from './refill-guard.js';
import { progressWith } from './progression.js';

/** What the operations need from the engine. */
export interface ManualHost {
  /** The record held in memory for the job, if any. */
  held(keyStr: string): JobRecord | undefined;
  /** Lets go of the held copy (the store disagreed with it), unless its delivery is in flight. */
  forget(keyStr: string): void;
  /** The store's newer record of a job whose delivery is in flight: the slot keeps it. */
  refresh(keyStr: string, record: JobRecord): void;
  /**
   * The new progress is committed: update or take in the job and place it, unless the job was
   * deleted, overwritten or moved on since `since` was opened (those win).
   */
  applied(keyStr: string, updated: JobRecord, since: RefillWatch): void;
  /** Notes what the engine does to jobs from now on (refill-guard.ts), until unwatch. */
  watch(): RefillWatch;
  unwatch(watch: RefillWatch): void;
  /** The job's regular (not manual) tick is being delivered now. */
  regularTickInFlight(keyStr: string): boolean;
  /** The job's catch-up policy applied to a progress (resume replays or skips what it missed). */
  catchUp(record: JobRecord): Progress | undefined;
}

/** Conditional writes retried this many times when someone else wrote in between. */
const MAX_ATTEMPTS = 4;

export class ManualOperations {
  constructor(
    private readonly store: JobStore,
    private readonly locks: KeyLocks,
    private readonly clock: Clock,
    private readonly host: ManualHost,
  ) {}

  pause(key: JobKey): Promise<JobRecord> {
    return this.mutate(key, (p) => (p.state === 'paused' ? undefined : progressWith(p, { rev: p.rev + 1, state: 'paused' })));
  }

  resume(key: JobKey): Promise<JobRecord> {
    return this.mutate(key, (p, record) => {
      if (p.state === 'active') return undefined;
      const resumed = progressWith(p, { state: 'active' });
      // A regular tick in flight keeps its tick: its outcome applies the catch-up policy to the
      // successor, and a failed attempt's retry belongs to it. Moving it here would record the
      // outcome against a later tick that never went out.
      if (this.host.regularTickInFlight(keyString(key))) return progressWith(resumed, { rev: p.rev + 1 });
      return progressWith(this.host.catchUp({ def: record.def, progress: resumed }) ?? resumed, { rev: p.rev + 1 });
    });
  }

  /** Delivers an extra trigger now, outside the schedule; repeated calls coalesce while one is pending. */
  triggerNow(key: JobKey): Promise<JobRecord> {
    const now = this.clock.now();
    return this.mutate(key, (p) =>
      p.manualAt !== undefined ? undefined : progressWith(p, { rev: p.rev + 1, manualAt: now, manualAttempts: 0, manualNextAt: now }),
    );
  }

  /** Applies a change to a job's progress, under its lock, whether or not it is in memory. */
  private mutate(key: JobKey, change: (p: Progress, record: JobRecord) => Progress | undefined): Promise<JobRecord> {
    const keyStr = keyString(key);
    return this.locks.run(keyStr, async () => {
      // After a refusal the held copy is known to be stale: the store's is read instead.
      let stale = false;
      for (let attempt = 1; ; attempt++) {
        const held = stale ? undefined : this.host.held(keyStr);
        const record = held ?? (await this.store.get(key));
        // Opened after the read (a change the read reflects is no news) and before the commit: a
        // delete or overwrite (neither takes the lock) landing while the commit is out is seen by
        // applied(), which then leaves the job to it; one landing before the commit refuses it.
        const watch = this.host.watch();
        try {
          if (!record) throw new JobNotFoundError(key.name);
          if (stale) this.host.refresh(keyStr, record);
          // A tombstone is kept to be read: it is never paused, resumed or fired again.
          if (isFinished(record.progress)) throw new JobFinishedError(key.name, record.progress.state);
          const progress = change(record.progress, record);
          if (!progress) return record;
          const ok = await this.store.commitProgress({ key, uid: record.def.uid, expectedRev: record.progress.rev, progress });
          if (!ok) {
            if (attempt >= MAX_ATTEMPTS) throw new StoreConflictError(`job "${key.name}" changed repeatedly while being updated; try again`);
            if (held) this.host.forget(keyStr);
            stale = true;
            continue;
          }
          const updated = { def: record.def, progress };
          this.host.applied(keyStr, updated, watch);
          return updated;
        } finally {
          this.host.unwatch(watch);
        }
      }
    });
  }
}
