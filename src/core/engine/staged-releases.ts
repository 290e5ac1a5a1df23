/*
 * Releasing staged triggers. A staged job waits in the store's staged index, out of memory; when
 * a consumer of its app may have appeared, a release reads the app's staged jobs in due order, a
 * page of releaseBatch at a time, and hands them to the engine, which fires them like any other.
 *
 *   idle --start--> reading --page with jobs--> waiting (held > 0)
 *   waiting --held drops to half a batch--> reading
 *   reading --empty page, none held--> ended (or reading again if asked meanwhile)
 *   any --a released trigger is staged again (still no consumer), ownership moved, read failed--> ended
 *
 * Memory therefore holds at most releaseBatch staged jobs per release, and the app's lane never
 * floods: a release of a million staged triggers neither fills memory nor crowds out other apps.
 */

import type { EngineEvents, TypedEmitter } from '../events.js';
import { keyString } from '../model/job-key.js';
import type { JobKey, JobRecord } from '../model/job.js';
import type { JobStore } from '../ports/job-store.js';
import type { Release, Slot } from './slot.js';
import type { RefillWatch } from './refill-guard.js';

/** What a release needs from the engine. */
export interface ReleaseHost {
  running(): boolean;
  /** In memory, or with a write of it under way. */
  holds(keyStr: string): boolean;
  owns(key: JobKey): boolean;
  /** Takes a staged record into memory on behalf of the release. */
  adopt(record: JobRecord, release: Release): void;
  /** Notes what the engine does to jobs from now on (refill-guard.ts), until unwatch. */
  watch(): RefillWatch;
  unwatch(watch: RefillWatch): void;
  /** The engine took in, let go of or removed the job since watch(). */
  touched(watch: RefillWatch, key: JobKey): boolean;
}

export class StagedReleases {
  private readonly releases = new Map<string, Release>();

  constructor(
    private readonly store: JobStore,
    private readonly host: ReleaseHost,
    private readonly events: TypedEmitter<EngineEvents>,
    private readonly batch: number,
  ) {}

  /** Starts (or nudges) the release of one app's staged triggers, under this key. */
  start(key: string, namespace: string, appId: string): void {
    const current = this.releases.get(key);
    if (current) {
      current.again = true;
      this.pump(current);
      return;
    }
    const release: Release = { key, namespace, appId, held: 0, reading: false, again: false, stopped: false };
    this.releases.set(key, release);
    this.pump(release);
  }

  /** Ends every release (ownership moved: they start again from the store when asked). */
  endAll(): void {
    for (const release of [...this.releases.values()]) this.end(release);
  }

  end(release: Release): void {
    release.stopped = true;
    if (this.releases.get(release.key) === release) this.releases.delete(release.key);
  }

  /** A released slot's outcome is known (or it left memory): its release may read on. */
  leave(slot: Slot): void {
    const release = slot.release;
    if (!release) return;
    slot.release = undefined;
    release.held--;
    if (!release.stopped) queueMicrotask(() => this.pump(release));
  }

  /** Staged triggers held in memory by releases under way. */
  held(): number {
    let held = 0;
    for (const release of this.releases.values()) held += release.held;
    return held;
  }

  private pump(release: Release): void {
    if (release.stopped || !this.host.running() || release.reading || release.held * 2 > this.batch) return;
    release.reading = true;
    release.again = false;
    // What the engine does to a job while the read is out wins over the copy read (as for refills).
    const watch = this.host.watch();
    this.store.staged(release.namespace, release.appId, this.batch, (key) => this.host.holds(keyString(key))).then(
      (records) => {
        release.reading = false;
        this.host.unwatch(watch);
        if (release.stopped || !this.host.running()) return;
        let loaded = 0;
        for (const record of records) {
          if (!record.progress.staged || this.host.holds(keyString(record.def.key)) || !this.host.owns(record.def.key)) continue;
          if (this.host.touched(watch, record.def.key)) {
            // Changed while the read was out (deleted, overwritten, paused, triggered, released by
            // another release): this copy is stale, and a read afresh finds what is left staged.
            release.again = true;
            continue;
          }
          loaded++;
          release.held++;
          this.host.adopt(record, release);
        }
        if (loaded > 0 || release.held > 0) return; // more is read as these go out
        if (release.again) this.pump(release);
        else this.end(release);
      },
      (error: unknown) => {
        release.reading = false;
        this.host.unwatch(watch);
        this.events.emit('error', { error, context: 'release' });
        this.end(release); // the next consumer event, ownership change or sweep starts it again
      },
    );
  }
}
