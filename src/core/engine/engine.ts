/*
 * The trigger engine. It holds in memory only the jobs due within the look-ahead window, in a
 * min-heap with one timer armed for the earliest; the rest stay in the store.
 *
 * State machine of one job's slot:
 *
 *   store --refill/upsert--> queued --due--> ready (its app's lane) --slot free--> inflight
 *   inflight --outcome, commit--> queued (next attempt within the window)
 *                               | out of memory (next attempt later; refill brings it back)
 *                               | deleted, or kept as a tombstone (no next tick; keepFinished)
 *   inflight --staged (no consumer), commit progress.staged--> out of memory, in the store's
 *            staged index (no refill reads it)
 *   staged index --releaseStaged, a page at a time--> queued (held by that release)
 *   any --remove/replace--> dropped; an in-flight delivery of it finishes and its outcome is ignored
 *
 * One trigger per job is in flight at a time: the next attempt is placed only after the outcome
 * of the current one is committed. Every progress write goes through KeyLocks and is
 * conditional on the definition's uid and the progress revision. Ready triggers wait in a lane
 * per app (FairQueue): each app has its own in-flight cap, and apps are served in turn.
 */

import type { Clock, TimerHandle } from '../clock.js';
import { TypedEmitter, type EngineEvents } from '../events.js';
import { appKeyString, keyString } from '../model/job-key.js';
import { isFinished, progressDueAt, type FinishedState, type HistoryEntry, type JobKey, type JobRecord, type Progress } from '../model/job.js';
import type { Outcome, Trigger } from '../model/trigger.js';
import type { Deliverer } from '../ports/deliverer.js';
import type { JobStore, ProgressCommit } from '../ports/job-store.js';
import { DueHeap } from './due-heap.js';
import { dueTrigger } from './due-trigger.js';
import { FairQueue, type Lane } from './fair-queue.js';
import { KeyLocks } from './key-locks.js';
import { defaultEngineOptions, type EngineOptions } from './options.js';
import { applyCatchUp, progressAfterOutcome, progressWith } from './progression.js';
import { ManualOperations } from './manual-operations.js';
import { ScheduleCache } from './schedule-cache.js';
import { laneOf, orderTiesByKey, type Release, type Slot } from './slot.js';
import { StagedReleases } from './staged-releases.js';

export interface EngineStats {
  inMemory: number;
  queued: number;
  inFlight: number;
  /** Staged triggers held in memory by releases under way (the rest wait in the store). */
  releasing: number;
  /** Listener exceptions caught since start (each also reported as an 'error' event). */
  listenerErrors: number;
}

export class Engine {
  readonly events = new TypedEmitter<EngineEvents>((event, error) => this.onListenerError(event, error));
  private readonly options: EngineOptions;
  private readonly slots = new Map<string, Slot>();
  private readonly heap = new DueHeap();
  private readonly ready: FairQueue<Slot>;
  private readonly releases: StagedReleases;
  private readonly manual: ManualOperations;
  private listenerErrors = 0;
  private readonly locks = new KeyLocks();
  private readonly schedules = new ScheduleCache();
  private readonly deliveries = new Set<Promise<void>>();
  private timer: TimerHandle | undefined;
  private timerAt: number | undefined;
  private refillTimer: TimerHandle | undefined;
  private inFlight = 0;
  private running = false;
  /** Which jobs this replica fires (cluster: the partitions it owns); set by retainOnly. */
  private owns: (key: JobKey) => boolean = () => true;

  constructor(
    private readonly store: JobStore,
    private readonly deliverer: Deliverer,
    private readonly clock: Clock,
    options: Partial<EngineOptions> = {},
  ) {
    this.options = { ...defaultEngineOptions, ...options };
    this.ready = new FairQueue<Slot>(this.options.maxInFlightPerApp);
    this.releases = new StagedReleases(
      store,
      {
        running: () => this.running,
        holds: (keyStr) => this.holds(keyStr),
        owns: (key) => this.owns(key),
        adopt: (record, release) => this.adopt(record, true, release),
      },
      this.events,
      this.options.releaseBatch,
    );
    this.manual = new ManualOperations(store, this.locks, clock, {
      held: (keyStr) => this.slots.get(keyStr)?.record,
      forget: (keyStr) => {
        const slot = this.slots.get(keyStr);
        if (slot) this.forget(slot);
      },
      applied: (keyStr, updated) => this.applied(keyStr, updated),
      catchUp: (record) => this.catchUp(record),
    });
  }

  async start(): Promise<void> {
    this.running = true;
    await this.refill();
    // Jobs placed before start (an API call during start-up) found no timer armed: arm it now.
    this.armTimer();
  }

  /** Stops firing; waits (bounded) for deliveries in flight and their commits. */
  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.refillTimer?.cancel();
    this.timer = this.refillTimer = this.timerAt = undefined;
    const settled = Promise.allSettled([...this.deliveries]).then(() => this.locks.drain());
    await this.raceTimeout(settled, this.options.stopTimeoutMs);
  }

  stats(): EngineStats {
    const releasing = this.releases.held();
    let queued = 0;
    for (const slot of this.slots.values()) if (slot.phase === 'queued' || slot.phase === 'ready') queued++;
    return { inMemory: this.slots.size, queued, inFlight: this.inFlight, releasing, listenerErrors: this.listenerErrors };
  }

  // ---- what the API layer calls after it changed the store ----

  /** A job was created or overwritten in the store. */
  upsert(record: JobRecord): void {
    const keyStr = keyString(record.def.key);
    const existing = this.slots.get(keyStr);
    // Older than what is held (a change reported late, in a cluster): nothing new in it.
    if (existing && existing.record.def.uid === record.def.uid && existing.record.progress.rev > record.progress.rev) return;
    if (existing?.phase === 'inflight') {
      // The old job's delivery finishes first (one in flight); its outcome sees the new uid and
      // places this record instead.
      existing.record = record;
      return;
    }
    if (existing) this.drop(existing);
    this.adopt(record, false);
  }

  /** A job was deleted from the store. */
  remove(key: JobKey): void {
    const slot = this.slots.get(keyString(key));
    if (slot) this.drop(slot);
  }

  removeByPrefix(namespace: string, appId: string, prefix: string): void {
    for (const slot of [...this.slots.values()]) {
      const k = slot.record.def.key;
      if (k.namespace === namespace && k.appId === appId && k.name.startsWith(prefix)) this.drop(slot);
    }
  }

  pause(key: JobKey): Promise<JobRecord> {
    return this.manual.pause(key);
  }

  resume(key: JobKey): Promise<JobRecord> {
    return this.manual.resume(key);
  }

  /** Delivers an extra trigger now, outside the schedule; repeated calls coalesce while one is pending. */
  triggerNow(key: JobKey): Promise<JobRecord> {
    return this.manual.triggerNow(key);
  }

  /**
   * Ownership changed (cluster): from now on only jobs the predicate accepts are loaded, adopted
   * or fired. Jobs it rejects are forgotten, except a delivery in flight, which finishes and
   * commits its outcome (the store fences that commit) before it is let go, so a graceful
   * hand-over does not repeat it; settled() waits for those. Then loads what is due.
   */
  async retainOnly(owns: (key: JobKey) => boolean): Promise<void> {
    this.owns = owns;
    for (const slot of [...this.slots.values()]) if (!owns(slot.record.def.key) && slot.phase !== 'inflight') this.drop(slot);
    // Releases under way read partitions that may have moved: they start again from the store.
    this.releases.endAll();
    await this.refillNow();
    this.events.emit('ownership', {});
  }

  /** Resolves once no delivery of a job the predicate accepts is in flight, or after timeoutMs. */
  async settled(which: (key: JobKey) => boolean, timeoutMs: number): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const slot of this.slots.values()) if (slot.phase === 'inflight' && slot.delivery && which(slot.record.def.key)) pending.push(slot.delivery);
    if (pending.length === 0) return;
    await this.raceTimeout(Promise.allSettled(pending), timeoutMs);
  }

  /** Waits for work, or for timeoutMs on the engine's clock, whichever is first. */
  private async raceTimeout(work: Promise<unknown>, timeoutMs: number): Promise<void> {
    let timer: TimerHandle | undefined;
    await Promise.race([work, new Promise<void>((resolve) => (timer = this.clock.setTimer(this.clock.now() + timeoutMs, resolve)))]);
    timer?.cancel();
  }

  /** Loads from the store now instead of waiting for the next refill tick. */
  async refillNow(): Promise<void> {
    this.refillTimer?.cancel();
    await this.refill();
  }

  /**
   * Releases every staged trigger of a namespace: used when a consumer appears that may host
   * other apps' work (an actor type's reminders). Those it cannot take are staged again.
   */
  releaseStagedInNamespace(namespace: string): void {
    // A key no app key can equal: app keys hold a NUL after the namespace, this one a U+0001.
    this.releases.start(`${namespace}\u0001`, namespace, undefined);
  }

  /** A consumer for the app appeared: its staged triggers go out, in due order, a page at a time. */
  releaseStaged(namespace: string, appId: string): void {
    this.releases.start(appKeyString(namespace, appId), namespace, appId);
  }

  // ---- loading ----

  private async refill(): Promise<void> {
    if (!this.running) return;
    try {
      const until = this.clock.now() + this.options.lookaheadMs;
      // What is held already need not be read again (a store may skip it; it is checked here too).
      const records = await this.store.dueBefore(until, this.options.refillLimit, (key) => this.holds(keyString(key)));
      for (const record of records) {
        if (this.holds(keyString(record.def.key))) continue;
        this.adopt(record, true);
      }
    } catch (error) {
      this.events.emit('error', { error, context: 'refill' });
    }
    if (!this.running) return;
    this.refillTimer = this.clock.setTimer(this.clock.now() + this.options.refillIntervalMs, () => void this.refill());
  }

  /** In memory, or with a write of it under way: a refill must not load it again. */
  private holds(keyStr: string): boolean {
    return this.slots.has(keyStr) || this.locks.isLocked(keyStr);
  }

  /** Takes a record into memory; one loaded from the store gets the catch-up policy applied. */
  private adopt(record: JobRecord, fromStore: boolean, release?: Release): void {
    if (!this.owns(record.def.key)) return; // another replica's job (cluster)
    const slot: Slot = { keyStr: keyString(record.def.key), record, phase: 'idle', token: 0, removed: false, ...(release ? { release } : {}) };
    this.slots.set(slot.keyStr, slot);
    const caughtUp = fromStore ? this.catchUp(record) : undefined;
    if (!caughtUp) {
      this.place(slot);
      return;
    }
    void this.locks.run(slot.keyStr, () => this.commitAndPlace(slot, progressWith(caughtUp, { rev: record.progress.rev + 1 })));
  }

  private catchUp(record: JobRecord): Progress | undefined {
    const { def, progress } = record;
    const now = this.clock.now();
    if (progress.tickAt === undefined || progress.tickAt >= now - this.options.catchUpGraceMs) return undefined;
    const adjusted = applyCatchUp(def, this.schedules.get(def.schedule), progress, now);
    return adjusted === progress ? undefined : adjusted;
  }

  /**
   * A finished tick whose successor is already overdue (a long outage of the target, or a
   * dueTime far in the past) gets the job's catch-up policy too, so `one` and `none` never
   * replay a backlog.
   */
  private afterTick(record: JobRecord, next: Progress): Progress {
    return this.catchUp({ def: record.def, progress: next }) ?? next;
  }

  // ---- placing and firing ----

  /** Puts an idle slot where its progress says: the heap, out of memory, or deleted. */
  private place(slot: Slot): void {
    if (slot.removed) return;
    if (!this.owns(slot.record.def.key)) {
      this.forget(slot); // handed over while in flight: its outcome is committed, the new owner goes on
      return;
    }
    const progress = slot.record.progress;
    if (isFinished(progress)) {
      this.forget(slot); // a tombstone: kept to be read, never fired
      return;
    }
    if (progress.staged && !slot.release) {
      this.forget(slot); // waits in the store's staged index until a release loads it
      return;
    }
    const due = progressDueAt(progress);
    if (due === undefined) {
      if (progress.tickAt === undefined && progress.manualAt === undefined) {
        // No tick at all (its ttl passed before the first, or catch-up left none): it is finished.
        const end = this.ending(slot.record, progressWith(progress, { rev: progress.rev + 1 }), 'completed', this.clock.now());
        void this.locks.run(slot.keyStr, () => this.commitAndPlace(slot, end));
      } else {
        this.forget(slot); // paused: nothing to do until resumed
      }
      return;
    }
    if (due > this.clock.now() + this.options.lookaheadMs) {
      this.forget(slot);
      return;
    }
    const holder = this.slots.get(slot.keyStr);
    if (holder && holder !== slot) {
      slot.removed = true; // a newer slot took over this job while this one was busy
      return;
    }
    this.slots.set(slot.keyStr, slot);
    slot.phase = 'queued';
    slot.token++;
    this.heap.push({ dueAt: due, key: slot.keyStr, token: slot.token });
    if (this.timerAt === undefined || due < this.timerAt) this.armTimer();
  }

  private armTimer(): void {
    this.timer?.cancel();
    this.timer = this.timerAt = undefined;
    if (!this.running) return;
    const top = this.heap.peek();
    if (!top) return;
    this.timerAt = top.dueAt;
    this.timer = this.clock.setTimer(top.dueAt, () => this.onTimer());
  }

  private onTimer(): void {
    this.timer = this.timerAt = undefined;
    const now = this.clock.now();
    const due: Slot[] = [];
    const dueAts: number[] = [];
    for (let top = this.heap.peek(); top && top.dueAt <= now; top = this.heap.peek()) {
      this.heap.pop();
      const slot = this.slots.get(top.key);
      if (!slot || slot.token !== top.token || slot.phase !== 'queued') continue;
      slot.phase = 'ready';
      due.push(slot);
      dueAts.push(top.dueAt);
    }
    orderTiesByKey(due, dueAts);
    for (const slot of due) this.ready.push(laneOf(slot), slot);
    this.pump();
    this.armTimer();
  }

  private pump(): void {
    while (this.running && this.inFlight < this.options.maxInFlight) {
      const next = this.ready.take();
      if (!next) return;
      const { lane, item: slot } = next;
      if (slot.removed || slot.phase !== 'ready' || !this.dispatch(slot, lane)) this.ready.skipped(lane);
    }
  }

  /** Hands the slot's trigger to delivery; false when it turned out not to be due (nothing dispatched). */
  private dispatch(slot: Slot, lane: Lane<Slot>): boolean {
    if (!this.owns(slot.record.def.key)) {
      this.forget(slot); // ownership lost since it was queued (cluster): the new owner fires it
      return false;
    }
    const now = this.clock.now();
    const due = dueTrigger(slot.record, now);
    if (!due) {
      slot.phase = 'idle'; // progress changed since it was queued
      this.place(slot);
      return false;
    }
    const { trigger, dueAt } = due;
    slot.phase = 'inflight';
    this.inFlight++;
    this.ready.started(lane);
    // Two links per delivery (this runs for every trigger): the outcome, then the bookkeeping.
    const settle = (outcome: Outcome): Promise<void> => {
      this.inFlight--;
      this.ready.done(lane);
      this.pump();
      return this.locks.run(slot.keyStr, () => this.onOutcome(slot, trigger, outcome, now, now - dueAt));
    };
    const done = (): void => {
      this.deliveries.delete(delivery);
    };
    let attempt: Promise<Outcome>;
    try {
      attempt = this.deliverer.deliver(trigger);
    } catch (error) {
      attempt = Promise.reject(error); // a deliverer that throws instead of rejecting fails the attempt the same way
    }
    const delivery: Promise<void> = attempt
      .then(settle, (error: unknown) => settle({ kind: 'failed', detail: String(error) }))
      .then(done, (error: unknown) => {
        this.events.emit('error', { error, context: 'outcome' });
        done();
      });
    this.deliveries.add(delivery);
    slot.delivery = delivery;
    // Emitted after the bookkeeping above: listeners are isolated, and see a consistent engine.
    this.events.emit('dispatched', { trigger, at: now });
    return true;
  }

  /** Not async: the commit's promise is the answer, without another promise around it. */
  private onOutcome(slot: Slot, trigger: Trigger, outcome: Outcome, startedAt: number, lateMs: number): Promise<void> {
    const finishedAt = this.clock.now();
    const record = slot.record;
    const release = slot.release;
    this.releases.leave(slot);
    const after = progressAfterOutcome(record.def, this.schedules.get(record.def.schedule), record.progress, outcome, trigger.manual, this.options.random);
    const tickOutcome = after.tickOutcome;
    // A finished tick whose successor is already overdue gets the job's catch-up policy too.
    let next = after.finishedTick && after.next ? this.afterTick(record, after.next) : after.next;
    const retryAt = tickOutcome === 'failed' && next ? (trigger.manual ? next.manualNextAt : next.nextAt) : undefined;
    this.events.emit('attempted', {
      trigger,
      outcome: tickOutcome,
      detail: outcome.detail,
      startedAt,
      finishedAt,
      lateMs,
      ...(retryAt !== undefined ? { retryAt } : {}),
      ...(release ? { released: true } : {}),
    });
    if (slot.removed) return DONE;
    if (record.def.uid !== trigger.uid) {
      slot.phase = 'idle'; // replaced while in flight: start the new job
      this.place(slot);
      return DONE;
    }
    if (outcome.kind === 'staged') {
      // Still nobody to take it: a release under way for this app stops (it would only spin).
      if (release) this.releases.end(release);
      if (!this.owns(record.def.key)) {
        this.forget(slot); // handed over: the new owner stages it again
        return DONE;
      }
      if (record.progress.staged) {
        this.forget(slot); // filed in the staged index already
        return DONE;
      }
      return this.stage(slot);
    }
    // Any other outcome ends the staging: the job is back in the due index.
    if (next?.staged) next = progressWith(next, { staged: undefined });
    const finalCount = next?.count ?? record.progress.count;
    if (next === null || (next.tickAt === undefined && next.manualAt === undefined)) {
      // The job's last outcome: a tombstone (in this same commit) or nothing.
      const last = next ?? progressWith(record.progress, { rev: record.progress.rev + 1 });
      next = this.ending(record, last, tickOutcome === 'dropped' ? 'failed' : 'completed', finishedAt);
    }
    const history: HistoryEntry = {
      scheduledAt: trigger.scheduledAt,
      at: finishedAt,
      attempt: trigger.attempt,
      outcome: tickOutcome,
      manual: trigger.manual,
      ...(outcome.detail !== undefined ? { detail: outcome.detail } : {}),
    };
    return this.commitAndPlace(slot, next, history, finalCount);
  }

  /**
   * Files the job in the store's staged index (its attempt and scheduled time unchanged) and lets
   * it go from memory. 'staged' is emitted after the commit, so a listener that releases the app
   * (a consumer appeared meanwhile) finds it in the store.
   */
  private async stage(slot: Slot): Promise<void> {
    const { def, progress } = slot.record;
    await this.commitAndPlace(slot, progressWith(progress, { rev: progress.rev + 1, staged: true }));
    if (!slot.removed) this.events.emit('staged', { key: def.key });
  }

  /**
   * What a finished job's last commit writes: its tombstone (state, finishedAt, no tick, in no
   * index) when keepFinished says so, else null (deleted). `last` carries the final count and the
   * bumped revision.
   */
  private ending(record: JobRecord, last: Progress, state: FinishedState, at: number): Progress | null {
    if (!this.options.keepFinished(record.def)) return null;
    return progressWith(last, {
      state,
      finishedAt: at,
      tickAt: undefined,
      nextAt: undefined,
      manualAt: undefined,
      manualAttempts: undefined,
      manualNextAt: undefined,
      staged: undefined,
    });
  }

  // ---- committing ----

  /** Commits new progress (null = the job is finished) and places the slot; must run under the job's lock. */
  private async commitAndPlace(slot: Slot, progress: Progress | null, history?: HistoryEntry, finalCount?: number): Promise<void> {
    const { def, progress: current } = slot.record;
    // A deleted job's history goes with it, so writing its last entry would be wasted I/O; a
    // tombstone keeps it (its last outcome is what "did it run?" asks for).
    const keepHistory = history && progress !== null;
    const commit: ProgressCommit = { key: def.key, uid: def.uid, expectedRev: current.rev, progress, ...(keepHistory ? { history } : {}) };
    const ok = await this.commitWithRetry(commit);
    if (slot.removed) return;
    if (ok === undefined) {
      this.forget(slot); // stopping: the store still holds the last committed state
      return;
    }
    if (!ok) {
      await this.reload(slot);
      return;
    }
    if (progress === null || isFinished(progress)) {
      this.forget(slot);
      const state = progress?.state;
      this.events.emit('finished', { key: def.key, count: finalCount ?? progress?.count ?? current.count, ...(state === 'completed' || state === 'failed' ? { state } : {}) });
      return;
    }
    slot.record = { def, progress };
    slot.phase = 'idle';
    this.place(slot);
  }

  /** true = committed, false = refused (stale), undefined = gave up because the engine stopped. */
  private async commitWithRetry(commit: ProgressCommit): Promise<boolean | undefined> {
    let wait = this.options.commitRetryMs;
    for (;;) {
      try {
        return await this.store.commitProgress(commit);
      } catch (error) {
        this.events.emit('error', { error, context: 'commit' });
        if (!this.running) return undefined;
        await new Promise<void>((resolve) => this.clock.setTimer(this.clock.now() + wait, resolve));
        wait = Math.min(wait * 2, 30_000);
      }
    }
  }

  /** The store disagreed with memory (someone else wrote): take the store's version. */
  private async reload(slot: Slot): Promise<void> {
    this.forget(slot);
    const fresh = await this.store.get(slot.record.def.key);
    if (fresh && !this.slots.has(slot.keyStr)) this.adopt(fresh, false);
  }

  /** A manual operation committed new progress: the held slot follows it, or the job is taken in. */
  private applied(keyStr: string, updated: JobRecord): void {
    const current = this.slots.get(keyStr);
    if (!current) {
      this.adopt(updated, false);
      return;
    }
    current.record = updated;
    if (current.phase === 'queued' || current.phase === 'ready' || current.phase === 'idle') {
      current.phase = 'idle';
      this.place(current);
    }
  }

  /** Out of memory but not removed: the store still has it; refill brings it back when due. */
  private forget(slot: Slot): void {
    if (this.slots.get(slot.keyStr) === slot) this.slots.delete(slot.keyStr);
    slot.phase = 'idle';
    slot.token++;
    this.releases.leave(slot);
  }

  private drop(slot: Slot): void {
    slot.removed = true;
    this.forget(slot);
  }

  /** An isolated listener threw: counted and reported, never thrown into the engine. */
  private onListenerError(event: keyof EngineEvents, error: unknown): void {
    this.listenerErrors++;
    if (event !== 'error') this.events.emit('error', { error, context: `listener:${String(event)}` });
  }
}

/** What a step that has nothing to wait for answers. */
const DONE: Promise<void> = Promise.resolve();
