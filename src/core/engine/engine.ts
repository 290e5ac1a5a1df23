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
 *   inflight --outcome, commit refused as stale--> the store's version read (still inflight); the
 *            outcome applied to it and committed while it has the attempt pending, else placed
 *   inflight --staged (no consumer), commit progress.staged--> out of memory, in the store's
 *            staged index (no refill reads it)
 *   staged index --releaseStaged, a page at a time--> queued (held by that release)
 *   any --remove--> dropped; an in-flight delivery of it finishes and its outcome is ignored
 *   queued, ready --replace (overwrite)--> dropped; the new record in a new slot
 *   inflight --replace (overwrite)--> the new record in the same slot; the old outcome is ignored
 *            (or its commit's answer, if already under way) and the new job is placed
 *
 * One trigger per job is in flight at a time: the next attempt is placed only after the outcome
 * of the current one is committed. Every progress write goes through KeyLocks and is
 * conditional on the definition's uid and the progress revision. Ready triggers wait in a lane
 * per app (FairQueue): each app has its own in-flight cap, and apps are served in turn.
 */

import type { Clock, TimerHandle } from '../clock.js';
import { TypedEmitter, type EngineEvents } from '../events.js';
import { appKeyString, keyString } from '../model/job-key.js';
import { isFinished, progressDueAt, type DataRef, type FinishedState, type HistoryEntry, type JobKey, type JobRecord, type Progress, type TickOutcome } from '../model/job.js';
import { deliverVia, type Deliverer } from '../ports/deliverer.js';
import type { JobStore, ProgressCommit } from '../ports/job-store.js';
import { Attempt } from './attempt.js';
import { DueHeap } from './due-heap.js';
import { RefillCoverage } from './refill-coverage.js';
import { RefillGuard, type RefillWatch } from './refill-guard.js';
import { dueTrigger } from './due-trigger.js';
import { FairQueue, type Lane } from './fair-queue.js';
import { KeyLocks } from './key-locks.js';
import { defaultEngineOptions, type EngineOptions } from './options.js';
import { applyCatchUp, holdsAttempt, progressAfterOutcome, progressWith } from './progression.js';
import { ManualOperations } from './manual-operations.js';
import { ScheduleCache } from './schedule-cache.js';
import { laneOf, type Release, type Slot } from './slot.js';
import { StagedReleases } from './staged-releases.js';
import { TurnBatch } from './turn-batch.js';

export interface EngineStats {
  inMemory: number;
  /** Due and waiting for a delivery slot (in its app's lane); a job whose time has not come is only inMemory. */
  queued: number;
  inFlight: number;
  /** Staged triggers held in memory by releases under way (the rest wait in the store). */
  releasing: number;
  /** Listener exceptions caught since start (each also reported as an 'error' event). */
  listenerErrors: number;
}

/** What an outcome asks for: a progress commit (batched with others), or work of its own. */
type OutcomeStep = CommitStep | { kind: 'other'; work: Promise<void> };
type CommitStep = { kind: 'commit'; progress: Progress | null; history?: HistoryEntry; finalCount?: number };

/** Due jobs moved to the ready queue per turn: a larger burst moves over several turns. */
const FIRE_SLICE = 1024;

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
  private readonly refillGuard = new RefillGuard();
  private readonly coverage = new RefillCoverage(WHOLE_REFILL_EVERY);
  /** stop() waiting for inFlight to reach 0 (settle calls them). */
  private idleWaiters: Array<() => void> = [];
  /** Outcomes settled in this turn whose job's lock is held for them, committed together. */
  private readonly outcomes = new TurnBatch<Attempt>((attempts) => this.commitOutcomes(attempts));
  /** Every Attempt's way back in: one function for all of them, not a closure per delivery. */
  private readonly settleAttempt = (attempt: Attempt): void => this.settle(attempt);
  private timer: TimerHandle | undefined;
  /** A burst's due jobs are still moving to the ready queue: onTimer runs again next turn. */
  private firingLater = false;
  private timerAt: number | undefined;
  private refillTimer: TimerHandle | undefined;
  private inFlight = 0;
  /** Upserts so far: a delete compares a slot's upsertSeq with the count before its store call. */
  private upserts = 0;
  /**
   * Deleted jobs whose delivery is still out, by name: a job created again under the name waits
   * for that delivery before its own goes out (one delivery of a name in flight at a time).
   */
  private readonly deletedInFlight = new Map<string, Slot>();
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
        watch: () => this.refillGuard.begin(),
        unwatch: (watch) => this.refillGuard.end(watch),
        touched: (watch, key) => this.refillGuard.skips(watch, key),
      },
      this.events,
      this.options.releaseBatch,
    );
    this.manual = new ManualOperations(store, this.locks, clock, {
      held: (keyStr) => this.slots.get(keyStr)?.record,
      forget: (keyStr) => {
        const slot = this.slots.get(keyStr);
        // A slot in flight stays: its delivery is the one in flight, and settled() waits on it.
        if (slot && slot.phase !== 'inflight') this.forget(slot);
      },
      refresh: (keyStr, record) => {
        const slot = this.slots.get(keyStr);
        if (slot?.phase === 'inflight' && slot.record.def.uid === record.def.uid && slot.record.progress.rev < record.progress.rev) slot.record = record;
      },
      applied: (keyStr, updated, since) => this.applied(keyStr, updated, since),
      watch: () => this.refillGuard.begin(),
      unwatch: (watch) => this.refillGuard.end(watch),
      regularTickInFlight: (keyStr) => this.slots.get(keyStr)?.attempt?.manual === false,
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
    // A delivery in flight takes its job's lock as it settles (settle), so once none is in flight
    // the locks' drain covers the commits of their outcomes.
    const settled = this.inFlightDone().then(() => this.locks.drain());
    await this.raceTimeout(settled, this.options.stopTimeoutMs);
  }

  /** O(1): read at every scrape of /metrics (a walk over 50,000 held slots took 2-7 ms, twice per scrape). */
  stats(): EngineStats {
    const releasing = this.releases.held();
    return { inMemory: this.slots.size, queued: this.ready.length, inFlight: this.inFlight, releasing, listenerErrors: this.listenerErrors };
  }

  // ---- what the API layer calls after it changed the store ----

  /** A job was created or overwritten in the store. */
  upsert(record: JobRecord): void {
    const seq = ++this.upserts;
    const keyStr = keyString(record.def.key);
    this.refillGuard.touch(keyStr);
    const existing = this.slots.get(keyStr);
    // Older than what is held (a change reported late, in a cluster): nothing new in it.
    if (existing && existing.record.def.uid === record.def.uid && existing.record.progress.rev >= record.progress.rev) return;
    if (existing?.phase === 'inflight') {
      // The old job's delivery finishes first (one in flight); its outcome sees the new uid and
      // places this record instead.
      existing.record = record;
      existing.upsertSeq = seq;
      return;
    }
    if (existing) this.drop(existing);
    else {
      const later = this.dueBeyondLookahead(record.progress);
      if (later !== undefined) {
        // What place() does as it lets such a job go (for one it would let go for another reason
        // as well, only a whole refill more if the clock stepped back); the refill reads it when due.
        this.coverage.leftUntil(later);
        return;
      }
    }
    const adopted = this.adopt(record, false);
    if (adopted) adopted.upsertSeq = seq;
  }

  /** What a delete passes to remove()/removeByPrefix(), taken before its store call. */
  upsertMark(): number {
    return this.upserts;
  }

  /**
   * A job was deleted from the store. `since` (upsertMark() before the store's delete): a slot an
   * upsert filled after it may hold a job created again while the delete was out, after the
   * store's delete; it is dropped all the same (it may as well be older than the delete), and
   * the next refill reads the whole window, which finds the job if the store kept it.
   */
  remove(key: JobKey, since?: number): void {
    const keyStr = keyString(key);
    this.refillGuard.touch(keyStr); // a refill under way may have read it before the delete
    const slot = this.slots.get(keyStr);
    if (slot) this.dropDeleted(slot, since);
  }

  removeByPrefix(namespace: string, appId: string, prefix: string, since?: number): void {
    this.refillGuard.touchPrefix(namespace, appId, prefix);
    for (const slot of [...this.slots.values()]) {
      const k = slot.record.def.key;
      if (k.namespace === namespace && k.appId === appId && k.name.startsWith(prefix)) this.dropDeleted(slot, since);
    }
  }

  private dropDeleted(slot: Slot, since: number | undefined): void {
    if (slot.attempt) this.deletedInFlight.set(slot.keyStr, slot);
    this.drop(slot);
    if (since !== undefined && slot.upsertSeq > since) this.coverage.lost();
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
    for (const slot of [...this.slots.values()]) if (!owns(slot.record.def.key) && slot.phase !== 'inflight') this.forget(slot);
    // Releases under way read partitions that may have moved: they start again from the store.
    this.releases.endAll();
    await this.refillNow();
    this.events.emit('ownership', {});
  }

  /** Resolves once no delivery of a job the predicate accepts is in flight, or after timeoutMs. */
  async settled(which: (key: JobKey) => boolean, timeoutMs: number): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const slot of this.slots.values()) {
      if (slot.phase !== 'inflight' || !which(slot.record.def.key)) continue;
      const commit = slot.attempt?.whenCommitted() ?? slot.delivery;
      if (commit) pending.push(commit);
    }
    if (pending.length === 0) return;
    await this.raceTimeout(Promise.allSettled(pending), timeoutMs);
  }

  /** Resolves once no delivery is in flight. */
  private inFlightDone(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
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
    this.coverage.lost(); // asked for because what is held may be out of step with the store: read it whole
    await this.refill();
  }

  /**
   * Releases every staged trigger of a namespace: used when a consumer appears that may host
   * other apps' work (an actor type's reminders). Those it cannot take are staged again.
   */
  releaseStagedInNamespace(namespace: string): void {
    // One release per app with staged triggers there, not one over the namespace: a release ends
    // when one of its triggers is staged again (nobody takes it, and reading on would only spin),
    // and one app still away must not end the release of every other app's triggers.
    this.store.stagedCounts().then(
      (counts) => {
        if (!this.running) return;
        for (const { namespace: ns, appId, count } of counts) if (ns === namespace && count > 0) this.releaseStaged(ns, appId);
      },
      (error: unknown) => this.events.emit('error', { error, context: 'release' }),
    );
  }

  /** A consumer for the app appeared: its staged triggers go out, in due order, a page at a time. */
  releaseStaged(namespace: string, appId: string): void {
    this.releases.start(appKeyString(namespace, appId), namespace, appId);
  }

  // ---- loading ----

  private async refill(): Promise<void> {
    if (!this.running) return;
    // The store may read in slices, and records are adopted in slices: between them the engine
    // goes on, and what it does to a job meanwhile wins over the copy read here (refill-guard.ts).
    const watch = this.refillGuard.begin();
    const ticket = this.coverage.begin();
    let adopted = 0;
    try {
      const until = this.clock.now() + this.options.lookaheadMs;
      // What is held already need not be read again (a store may skip it; it is checked here too).
      const held = (key: JobKey): boolean => this.holds(keyString(key));
      const read = this.store.dueBetween
        ? await this.store.dueBetween(ticket.from ?? Number.MIN_SAFE_INTEGER, until, this.options.refillLimit, held)
        : { records: await this.store.dueBefore(until, this.options.refillLimit, held), next: undefined };
      const records = read.records;
      for (let i = 0; i < records.length; i++) {
        // 25,000 adoptions in one turn held every timer for tens of ms (issue 12): a slice at a time.
        if (i > 0 && i % REFILL_ADOPT_SLICE === 0) {
          await nextTurn();
          if (!this.running) break;
        }
        const record = records[i]!;
        if (this.holds(keyString(record.def.key)) || this.refillGuard.skips(watch, record.def.key)) continue;
        this.adopt(record, true);
        adopted++;
      }
      if (read.next !== undefined && this.running) this.coverage.end(ticket, read.next);
    } catch (error) {
      this.events.emit('error', { error, context: 'refill' });
    } finally {
      this.refillGuard.end(watch);
    }
    if (adopted > 0) this.events.emit('refilled', { adopted });
    if (!this.running) return;
    // Two refills can overlap (refillNow while the periodic one reads): the last to end arms the
    // one timer, else each would go on re-arming its own and the refills would double.
    this.refillTimer?.cancel();
    this.refillTimer = this.clock.setTimer(this.clock.now() + this.options.refillIntervalMs, () => void this.refill());
  }

  /** In memory, or with a write of it under way: a refill must not load it again. */
  private holds(keyStr: string): boolean {
    return this.slots.has(keyStr) || this.locks.isLocked(keyStr);
  }

  /** Takes a record into memory (the slot it made, undefined for another replica's job); one loaded from the store gets the catch-up policy applied. */
  private adopt(record: JobRecord, fromStore: boolean, release?: Release): Slot | undefined {
    if (!this.owns(record.def.key)) return undefined; // another replica's job (cluster)
    const slot: Slot = { keyStr: keyString(record.def.key), record, phase: 'idle', token: 0, removed: false, upsertSeq: 0, ...(release ? { release } : {}) };
    this.refillGuard.touch(slot.keyStr);
    this.slots.set(slot.keyStr, slot);
    const caughtUp = fromStore ? this.catchUp(record) : undefined;
    if (!caughtUp) {
      this.place(slot);
      return slot;
    }
    void this.locks.run(slot.keyStr, () => this.commitAndPlace(slot, progressWith(caughtUp, { rev: record.progress.rev + 1 })));
    return slot;
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
      this.forget(slot, LEFT_THE_WINDOW); // a tombstone: kept to be read, never fired
      return;
    }
    if (progress.staged && !slot.release) {
      this.forget(slot, LEFT_THE_WINDOW); // waits in the store's staged index until a release loads it
      return;
    }
    const due = progressDueAt(progress);
    if (due === undefined) {
      if (progress.tickAt === undefined && progress.manualAt === undefined) {
        // No tick at all (its ttl passed before the first, or catch-up left none): it is finished.
        const end = this.ending(slot.record, progressWith(progress, { rev: progress.rev + 1 }), 'completed', this.clock.now());
        void this.locks.run(slot.keyStr, () => this.commitAndPlace(slot, end));
      } else {
        this.forget(slot, LEFT_THE_WINDOW); // paused: nothing to do until resumed
      }
      return;
    }
    if (due > this.clock.now() + this.options.lookaheadMs) {
      // Due after every refill's window so far (checked: the clock may step back): the next
      // refill that reaches it reads it.
      this.coverage.leftUntil(due);
      this.forget(slot, LEFT_THE_WINDOW);
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
    this.heap.push(due, slot, slot.token);
    if (this.timerAt === undefined || due < this.timerAt) this.armTimer();
  }

  private armTimer(): void {
    this.timer?.cancel();
    this.timer = this.timerAt = undefined;
    if (!this.running) return;
    const dueAt = this.heap.nextDueAt();
    if (dueAt === undefined) return;
    this.timerAt = dueAt;
    this.timer = this.clock.setTimer(dueAt, () => this.onTimer());
  }

  private onTimer(): void {
    this.timer = this.timerAt = undefined;
    const now = this.clock.now();
    let moved = 0;
    for (let dueAt = this.heap.nextDueAt(); dueAt !== undefined && dueAt <= now; dueAt = this.heap.nextDueAt()) {
      if (moved === FIRE_SLICE) {
        // A burst: the rest moves in a later turn, so the first slice's deliveries go out now
        // and their replies are read meanwhile (20,000 due at once took 20 to 35 ms here).
        this.pump();
        this.continueFiring();
        return;
      }
      const entry = this.heap.pop()!;
      // Every forget bumps the token, and a re-queue too: a stale entry's slot fails this.
      const slot = entry.slot;
      if (slot.token !== entry.token || slot.phase !== 'queued' || slot.removed) continue;
      slot.phase = 'ready';
      this.ready.push(laneOf(slot), slot);
      moved++;
    }
    this.pump();
    this.armTimer();
  }

  /** onTimer again on the next turn (in place of any timer armed meanwhile), unless stopped. */
  private continueFiring(): void {
    if (this.firingLater) return;
    this.firingLater = true;
    setImmediate(() => {
      this.firingLater = false;
      if (!this.running) return;
      this.timer?.cancel();
      this.onTimer();
    });
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
    if (this.deletedInFlight.size > 0 && this.deletedInFlight.has(slot.keyStr)) {
      // The name's deleted job is still being delivered: this one goes out once that answers.
      slot.phase = 'idle';
      slot.waitsForName = true;
      return false;
    }
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
    // One object per delivery (this runs for every trigger): the deliverer answers it (its
    // callback form when it has one, else its promise), and it settles the outcome. No set of
    // deliveries: stop() waits for the inFlight count instead, and settled() asks slot.attempt.
    const attempt = new Attempt(slot, lane, trigger, now, dueAt, this.settleAttempt);
    slot.attempt = attempt;
    slot.delivery = undefined;
    try {
      deliverVia(this.deliverer, trigger, attempt);
    } catch (error) {
      attempt.receive({ kind: 'failed', detail: String(error) }); // a deliverer that throws fails the attempt
    }
    attempt.dispatching = false;
    // Emitted after the bookkeeping above: listeners are isolated, and see a consistent engine.
    if (this.events.has('dispatched')) this.events.emit('dispatched', { trigger, at: now });
    return true;
  }

  /**
   * A delivery's outcome is known: its slot is free, and the outcome goes to be committed
   * (attempt.whenCommitted answers once it is; a failure is reported as an 'error' event).
   */
  private settle(attempt: Attempt): void {
    const slot = attempt.slot;
    this.inFlight--;
    this.ready.done(attempt.lane);
    if (slot.removed && this.deletedInFlight.get(slot.keyStr) === slot) this.deletedDelivered(slot.keyStr);
    // The usual case: nothing else (a pause, a manual trigger) holds the job's lock, so it is
    // taken now and the outcome joins this turn's batch; else it waits its turn alone. The lock is
    // taken before anything else runs, so stop() finds it once inFlight reaches 0.
    const committed = this.locks.tryHold(slot.keyStr)
      ? this.outcomes.add(attempt)
      : this.locks.run(slot.keyStr, () => this.onOutcome(attempt)).then(undefined, (error: unknown) => this.outcomeFailed(error));
    if (slot.attempt === attempt) {
      slot.attempt = undefined;
      slot.delivery = committed;
    }
    attempt.settledAs(committed);
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
    this.pump();
  }

  /** A deleted job's delivery answered: the job created again under its name, if waiting, is placed. */
  private deletedDelivered(keyStr: string): void {
    this.deletedInFlight.delete(keyStr);
    const next = this.slots.get(keyStr);
    if (next?.waitsForName && next.phase === 'idle') {
      next.waitsForName = false;
      this.place(next);
    }
  }

  /** One outcome alone, under its job's lock (the lock was busy when it settled). */
  private onOutcome(attempt: Attempt): Promise<void> {
    const step = this.decide(attempt);
    if (step.kind === 'other') return step.work;
    return this.commitAndPlace(attempt.slot, step.progress, step.history, step.finalCount, attempt);
  }

  /**
   * The outcomes of one turn, each under its job's lock (taken by tryHold in settle): their
   * progress commits go to the store together, then each slot is placed and its lock released.
   * Never rejects: a failure is reported as an 'error' event, as a lone outcome's would be.
   */
  private async commitOutcomes(attempts: Attempt[]): Promise<void> {
    const planned: Attempt[] = [];
    const commits: ProgressCommit[] = [];
    const others: Promise<void>[] = [];
    for (const attempt of attempts) {
      const keyStr = attempt.slot.keyStr;
      let step: OutcomeStep;
      try {
        step = this.decide(attempt);
      } catch (error) {
        this.outcomeFailed(error);
        this.locks.release(keyStr);
        continue;
      }
      if (step.kind === 'other') {
        others.push(this.releasing(keyStr, step.work));
        continue;
      }
      attempt.finalCount = step.finalCount;
      planned.push(attempt);
      commits.push(this.commitOf(attempt.slot, step.progress, step.history));
    }
    if (commits.length > 0) {
      let results: Array<boolean | undefined>;
      try {
        results = await this.commitAll(commits);
      } catch (error) {
        results = commits.map(() => false); // cannot happen (commitAll retries), but never leave a lock held
        this.outcomeFailed(error);
      }
      for (let i = 0; i < planned.length; i++) {
        const attempt = planned[i]!;
        const slot = attempt.slot;
        let after: Promise<void> | undefined;
        try {
          after = this.afterCommit(slot, commits[i]!, results[i], attempt.finalCount, attempt);
        } catch (error) {
          this.outcomeFailed(error);
        }
        if (after) others.push(this.releasing(slot.keyStr, after));
        else this.locks.release(slot.keyStr);
      }
    }
    if (others.length > 0) await Promise.all(others);
  }

  /** Releases the key's hold once work settles; a failure is reported, never thrown. */
  private releasing(keyStr: string, work: Promise<void>): Promise<void> {
    return work.then(
      () => this.locks.release(keyStr),
      (error: unknown) => {
        this.outcomeFailed(error);
        this.locks.release(keyStr);
      },
    );
  }

  private outcomeFailed(error: unknown): void {
    this.events.emit('error', { error, context: 'outcome' });
  }

  /**
   * What an outcome makes of its job: the 'attempted' event, then either the progress to commit
   * (with the history entry) or the work of a path that is not a plain commit (staging, a job
   * removed or replaced meanwhile). Runs under the job's lock.
   */
  private decide(attempt: Attempt): OutcomeStep {
    const { slot, outcome, startedAt, lateMs } = attempt;
    const trigger = attempt.takeTrigger();
    const finishedAt = (attempt.finishedAt = this.clock.now());
    const record = slot.record;
    const release = slot.release;
    this.releases.leave(slot);
    const { tickOutcome, next } = this.outcomeOn(record, attempt);
    const retryAt = tickOutcome === 'failed' && next ? (trigger.manual ? next.manualNextAt : next.nextAt) : undefined;
    if (this.events.has('attempted')) {
      // Optional fields assigned, not spread into the literal (a runtime copy): once per delivery.
      const attempted: EngineEvents['attempted'] = { trigger, outcome: tickOutcome, detail: outcome.detail, startedAt, finishedAt, lateMs };
      if (retryAt !== undefined) attempted.retryAt = retryAt;
      if (release) attempted.released = true;
      this.events.emit('attempted', attempted);
    }
    if (slot.removed) return NOTHING;
    if (record.def.uid !== trigger.uid) {
      slot.phase = 'idle'; // replaced while in flight: start the new job
      this.place(slot);
      return NOTHING;
    }
    if (outcome.kind === 'staged') {
      // Still nobody to take it: a release under way for this app stops (it would only spin).
      if (release) this.releases.end(release);
      if (!this.owns(record.def.key)) {
        this.forget(slot); // handed over: the new owner stages it again
        return NOTHING;
      }
      if (record.progress.staged) {
        this.forget(slot, LEFT_THE_WINDOW); // filed in the staged index already
        return NOTHING;
      }
      return { kind: 'other', work: this.stage(slot) };
    }
    return this.outcomeCommit(record, attempt, tickOutcome, next);
  }

  /** The attempt's outcome applied to the job's progress; a finished tick's overdue successor gets the catch-up policy too. */
  private outcomeOn(record: JobRecord, attempt: Attempt): { tickOutcome: TickOutcome; next: Progress | null } {
    const after = progressAfterOutcome(record.def, this.schedules.get(record.def.schedule), record.progress, attempt.outcome, attempt.manualTick, this.options.random);
    // progressAfterOutcome's own answer, changed in place: no second object per delivery.
    if (after.finishedTick && after.next) after.next = this.afterTick(record, after.next);
    return after;
  }

  /** The commit of an outcome (not staged) whose progress is `next`: the job's last commit when no tick is left, with the history entry. */
  private outcomeCommit(record: JobRecord, attempt: Attempt, tickOutcome: TickOutcome, next: Progress | null): CommitStep {
    // Any other outcome ends the staging: the job is back in the due index.
    if (next?.staged) next = progressWith(next, { staged: undefined });
    const finalCount = next?.count ?? record.progress.count;
    if (next === null || (next.tickAt === undefined && next.manualAt === undefined)) {
      // The job's last outcome: a tombstone (in this same commit) or nothing.
      const last = next ?? progressWith(record.progress, { rev: record.progress.rev + 1 });
      next = this.ending(record, last, tickOutcome === 'dropped' ? 'failed' : 'completed', attempt.finishedAt);
    }
    // A job deleted with this commit takes its history along (commitOf leaves it out): no entry.
    if (next === null) return { kind: 'commit', progress: null, finalCount };
    const history: HistoryEntry = { scheduledAt: attempt.scheduledAt, at: attempt.finishedAt, attempt: attempt.attemptNumber, outcome: tickOutcome, manual: attempt.manualTick };
    const detail = attempt.outcome.detail;
    if (detail !== undefined) history.detail = detail;
    return { kind: 'commit', progress: next, history, finalCount };
  }

  /**
   * Files the job in the store's staged index (its attempt and scheduled time unchanged) and lets
   * it go from memory. 'staged' is emitted after the commit and once the job's lock is free, so a
   * listener that releases the app (a consumer connected meanwhile) finds it in the store and
   * unlocked; under the lock the release would skip it, and it would wait for the next sweep.
   */
  private async stage(slot: Slot): Promise<void> {
    const { def, progress } = slot.record;
    await this.commitAndPlace(slot, progressWith(progress, { rev: progress.rev + 1, staged: true }));
    if (!slot.removed) this.locks.whenFree(slot.keyStr, () => this.events.emit('staged', { key: def.key }));
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

  /**
   * Commits new progress (null = the job is finished) and places the slot; must run under the
   * job's lock. `answered`: the delivery whose outcome this is (refusals: how often its commit was
   * refused already), so that a refusal as stale can apply it again (afterCommit).
   */
  private async commitAndPlace(slot: Slot, progress: Progress | null, history?: HistoryEntry, finalCount?: number, answered?: Attempt, refusals = 0): Promise<void> {
    const commit = this.commitOf(slot, progress, history);
    const ok = await this.commitWithRetry(commit);
    await this.afterCommit(slot, commit, ok, finalCount, answered, refusals);
  }

  /** The conditional write of new progress for the slot's job, as the slot holds it now. */
  private commitOf(slot: Slot, progress: Progress | null, history: HistoryEntry | undefined): ProgressCommit {
    const { def, progress: current } = slot.record;
    // A deleted job's history goes with it, so writing its last entry would be wasted I/O; a
    // tombstone keeps it (its last outcome is what "did it run?" asks for).
    // Assigned, not spread into the literal (a runtime copy): once per outcome.
    const commit: ProgressCommit = { key: def.key, keyString: slot.keyStr, uid: def.uid, expectedRev: current.rev, progress };
    if (history && progress !== null) commit.history = history;
    return commit;
  }

  /**
   * Follows a commit's answer (true written, false refused as stale, undefined stopped): the slot
   * takes the new progress and is placed, or leaves memory, or reloads the store's version (the
   * promise answered then); a delivery's outcome (`answered`) refused is applied to that version
   * when it still has the attempt pending (outcomeRefused). Must run under the job's lock.
   */
  private afterCommit(
    slot: Slot,
    commit: ProgressCommit,
    ok: boolean | undefined,
    finalCount: number | undefined,
    answered?: Attempt,
    refusals = 0,
  ): Promise<void> | undefined {
    const { uid, progress } = commit;
    if (slot.removed) return undefined;
    if (ok === undefined) {
      this.forget(slot); // stopping: the store still holds the last committed state
      return undefined;
    }
    if (slot.record.def.uid !== uid) {
      // Overwritten while the commit was under way (upsert put the new record in this in-flight
      // slot): whatever the answer, the old job's progress is not the new one's, and the new job
      // starts now, as decide() starts one replaced during its delivery. Taking the progress would
      // fire the new definition at the old schedule's time (early); letting the slot go would leave
      // the new job in the store, due, with nothing in memory to fire it. The old job did finish
      // if this commit ended it: its listeners hear of it (its jobStateStore payload goes).
      // The finished job's definition is gone from the slot; its attempt still names its payload.
      if (ok && (progress === null || isFinished(progress))) this.reportFinished(slot.record.def.key, progress, finalCount ?? progress?.count ?? 0, answered?.dataRef);
      slot.phase = 'idle';
      this.place(slot);
      return undefined;
    }
    if (!ok) return answered ? this.outcomeRefused(slot, commit, answered, refusals) : this.reload(slot);
    const { def, progress: current } = slot.record;
    if (progress !== null && current.rev > progress.rev) {
      // A newer state of this same job (the cluster watch: another replica's pause or trigger)
      // was put in the slot while the commit was under way: it was written after this commit.
      slot.phase = 'idle';
      this.place(slot);
      return undefined;
    }
    if (progress === null || isFinished(progress)) {
      this.forget(slot, LEFT_THE_WINDOW);
      this.reportFinished(def.key, progress, finalCount ?? progress?.count ?? current.count, def.dataRef);
      return undefined;
    }
    slot.record = { def, progress };
    slot.phase = 'idle';
    this.place(slot);
    return undefined;
  }

  /** The 'finished' event of a job whose last commit (deleted, or a tombstone) is written. */
  private reportFinished(key: JobKey, progress: Progress | null, count: number, dataRef: DataRef | undefined): void {
    if (!this.events.has('finished')) return;
    const finished: EngineEvents['finished'] = { key, count };
    const state = progress?.state;
    if (state === 'completed' || state === 'failed') finished.state = state;
    if (dataRef) finished.dataRef = dataRef;
    this.events.emit('finished', finished);
  }

  /**
   * Commits with the store's batch call when it has one (retried as a whole: a commit already
   * written is refused as stale on the retry and its job reloaded), else each on its own. A lone
   * outcome takes the batch call too: the call is for delivery outcomes, which a store may commit
   * without an fsync (SQLite does), and at a steady rate most turns hold one outcome.
   */
  private commitAll(commits: ProgressCommit[]): Promise<Array<boolean | undefined>> {
    const batch = this.store.commitProgressBatch?.bind(this.store);
    if (!batch) return Promise.all(commits.map((commit) => this.commitWithRetry(commit)));
    return this.retryingCommit<Array<boolean | undefined>>(() => batch(commits), commits.map(() => undefined));
  }

  /** true = committed, false = refused (stale), undefined = gave up because the engine stopped. */
  private commitWithRetry(commit: ProgressCommit): Promise<boolean | undefined> {
    return this.retryingCommit(() => this.store.commitProgress(commit), undefined);
  }

  /** Runs a store commit until it answers, backing off to 30 s; `stopped` once the engine stops. */
  private async retryingCommit<T>(attempt: () => Promise<T>, stopped: T): Promise<T> {
    let wait = this.options.commitRetryMs;
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        this.events.emit('error', { error, context: 'commit' });
        if (!this.running) return stopped;
        await new Promise<void>((resolve) => this.clock.setTimer(this.clock.now() + wait, resolve));
        wait = Math.min(wait * 2, 30_000);
      }
    }
  }

  /**
   * A delivery's outcome whose commit was refused: someone else wrote the job since it went out
   * (in a cluster, another replica's pause, resume or trigger-now, reported by the job watch only
   * later). The store's version is read with the slot still in flight, so a delete, overwrite or
   * newer record reported meanwhile lands in the slot, as during the commit. When that version
   * still has the answered attempt pending, the outcome is applied to it and committed, refused
   * again at most MAX_OUTCOME_REFUSALS times; else the slot takes it (a reload), and what the
   * read shows pending goes out, again if it is the answered tick (at least once).
   *
   * Never for a job this replica no longer fires: a commit refused by the partition's fence (its
   * owner changed) leaves the tick to the new owner, which delivers it again. The fence's refusal
   * finds the revision unchanged, so a revision that did not move is no reason to apply it again.
   */
  private async outcomeRefused(slot: Slot, refused: ProgressCommit, answered: Attempt, refusals: number): Promise<void> {
    const key = slot.record.def.key;
    if (refusals >= MAX_OUTCOME_REFUSALS || !this.owns(key) || this.slots.get(slot.keyStr) !== slot) return this.reload(slot);
    let fresh: JobRecord | undefined;
    try {
      fresh = await this.store.get(key);
    } catch (error) {
      this.forget(slot); // not left in flight for good: the next refill reads the job again
      throw error;
    }
    if (slot.removed) return; // deleted meanwhile: it stays deleted
    const held = slot.record;
    if (held.def.uid !== refused.uid) {
      slot.phase = 'idle'; // overwritten meanwhile: the new job is placed, as afterCommit does
      this.place(slot);
      return;
    }
    if (!fresh) {
      this.forget(slot); // deleted elsewhere: the job watch reports it
      return;
    }
    // The newer of the store's version and one the watch put in the slot while it was read.
    const record = fresh.def.uid === held.def.uid && held.progress.rev > fresh.progress.rev ? held : fresh;
    slot.record = record;
    const again = record.def.uid === refused.uid && record.progress.rev > refused.expectedRev && answered.outcome.kind !== 'staged';
    if (again && this.owns(key) && holdsAttempt(record.progress, answered)) {
      const { tickOutcome, next } = this.outcomeOn(record, answered);
      const step = this.outcomeCommit(record, answered, tickOutcome, next);
      return this.commitAndPlace(slot, step.progress, step.history, step.finalCount, answered, refusals + 1);
    }
    slot.phase = 'idle';
    this.place(slot);
  }

  /** The store disagreed with memory (someone else wrote): take the store's version. */
  private async reload(slot: Slot): Promise<void> {
    this.forget(slot);
    const watch = this.refillGuard.begin();
    try {
      const fresh = await this.store.get(slot.record.def.key);
      if (fresh && !this.slots.has(slot.keyStr) && !this.refillGuard.skips(watch, fresh.def.key)) this.adopt(fresh, false);
    } finally {
      this.refillGuard.end(watch);
    }
  }

  /**
   * A manual operation committed new progress: the held slot follows it, or the job is taken in.
   * Not when the job was deleted or overwritten while the commit was out (neither waits for the
   * job's lock): a deleted job would come back and fire, an overwritten one would get the old
   * definition. Those leave the job as they made it.
   */
  private applied(keyStr: string, updated: JobRecord, since: RefillWatch): void {
    const current = this.slots.get(keyStr);
    if (!current) {
      if (this.refillGuard.skips(since, updated.def.key)) return;
      this.adopt(updated, false);
      // A staged job stays staged (a trigger-now or resume of it): a release that read it while
      // this held its lock skipped it, so its app is asked to release again once the lock is free.
      if (updated.progress.staged) this.locks.whenFree(keyStr, () => this.events.emit('staged', { key: updated.def.key }));
      return;
    }
    if (current.record.def.uid !== updated.def.uid || current.record.progress.rev > updated.progress.rev) return;
    current.record = updated;
    if (current.phase === 'queued' || current.phase === 'ready' || current.phase === 'idle') {
      current.phase = 'idle';
      this.place(current);
    }
  }

  /**
   * The due instant, when after the lookahead: place() would let a slot of it go at once, out of
   * the due window whatever else holds (finished, staged or paused are let go the same way; a job
   * of another replica adopt() refuses first). upsert skips taking such a job in: most schedules
   * are of jobs due later than that, and each cost a slot, a key string and a Map write and delete
   * for nothing.
   */
  private dueBeyondLookahead(progress: Progress): number | undefined {
    const due = progressDueAt(progress);
    return due !== undefined && due > this.clock.now() + this.options.lookaheadMs ? due : undefined;
  }

  /**
   * Out of memory but not removed: the store still has it; refill brings it back when due. Unless
   * the caller knows the job left the due window (outOfWindow), it may be due within what the
   * refills have read, so the next refill reads the whole window (refill-coverage.ts).
   */
  private forget(slot: Slot, outOfWindow = false): void {
    if (!outOfWindow && !slot.removed) this.coverage.lost();
    this.refillGuard.touch(slot.keyStr); // its store row may have moved on since a refill under way read it
    if (this.slots.get(slot.keyStr) === slot) this.slots.delete(slot.keyStr);
    slot.phase = 'idle';
    slot.token++;
    this.releases.leave(slot);
  }

  /** Deleted, or replaced by a newer slot: nothing of it is left for a refill to load. */
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

/** Records a refill adopts per turn of the event loop (about 1 to 1.5 ms of work; 1,000 took 2 to 3 ms). */
const REFILL_ADOPT_SLICE = 500;

/** A store with dueBetween is still read whole once in this many refills (refill-coverage.ts): once a minute at the default 5 s. */
const WHOLE_REFILL_EVERY = 12;

/**
 * How often a delivery's outcome is applied again to the store's newer version after its commit
 * was refused as stale, before the job is reloaded instead (its tick then goes out again): each
 * refusal is a write by someone else between a read and a commit, so more means a job written
 * without pause, and a reload at worst repeats one tick.
 */
const MAX_OUTCOME_REFUSALS = 4;

/** forget(): the job left what the refills read (finished, staged, paused, its next tick beyond the look-ahead). */
const LEFT_THE_WINDOW = true;

/** Lets timers and sockets run: a macrotask, not a microtask. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** An outcome that needs no write (its job was removed, replaced or handed over). */
const NOTHING: OutcomeStep = { kind: 'other', work: Promise.resolve() };
