// A memory store for the race tests: its calls can be held at a chosen point, a job's commit
// refused or raced by another writer, and progress written behind the engine's back, as another
// replica does before its job watch reports it.

import { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import { progressWith } from '../../../src/core/engine/progression.js';
import type { JobKey, JobRecord, Progress } from '../../../src/core/model/job.js';
import type { DueRead, ProgressCommit } from '../../../src/core/ports/job-store.js';
import { gate, type Gate } from './held-calls.js';

/**
 * A memory store whose calls can be held one at a time after they did their work: the next
 * commit's answer (written, the engine not told yet), the next get of a job (read, not answered),
 * the next refill read, the next staged read. It can also refuse the next commit of a job as
 * stale, as if another writer had moved it on, run another writer's work just before a job's
 * commits, and write progress behind the engine's back (as another replica does, before its job
 * watch reports it).
 */
export class RaceStore extends MemoryJobStore {
  refuseNext: string | undefined;
  /** The next commit of this job is written, then its call rejects (the answer was lost). */
  throwAfterWriteNext: string | undefined;
  /** Progress commits of each job so far (by name), refused ones included. */
  readonly commitsOf = new Map<string, number>();
  private answerGate: ReturnType<typeof gate> | undefined;
  private getGate: { name: string; gate: ReturnType<typeof gate> } | undefined;
  private stagedGate: ReturnType<typeof gate> | undefined;
  private dueGate: ReturnType<typeof gate> | undefined;
  private racing: { name: string; times: number; work: () => Promise<unknown> } | undefined;

  holdNextCommitAnswer(): Gate {
    return (this.answerGate = gate());
  }

  holdNextGet(name: string): Gate {
    const g = gate();
    this.getGate = { name, gate: g };
    return g;
  }

  /** The next refill read (dueBetween) reads everything due in its range, held or not, then waits. */
  holdNextDueRead(): Gate {
    return (this.dueGate = gate());
  }

  holdNextStagedRead(): Gate {
    return (this.stagedGate = gate());
  }

  /** Runs `work` (another writer's) just before each of the job's next `times` commits. */
  raceCommits(name: string, times: number, work: () => Promise<unknown>): void {
    this.racing = { name, times, work };
  }

  override async commitProgressBatch(commits: readonly ProgressCommit[]): Promise<boolean[]> {
    const results: boolean[] = [];
    let lost = false;
    for (const commit of commits) {
      await this.raced(commit);
      lost ||= this.lostAnswer(commit);
      results.push(this.refused(commit) ? false : (await super.commitProgressBatch([commit]))[0]!);
    }
    if (lost) throw new Error('the answer of a written batch was lost');
    return this.answer(results);
  }

  override async commitProgress(commit: ProgressCommit): Promise<boolean> {
    await this.raced(commit);
    const lost = this.lostAnswer(commit);
    if (this.refused(commit)) return false;
    const ok = await super.commitProgress(commit);
    if (lost) throw new Error('the answer of a written commit was lost');
    return this.answer(ok);
  }

  override async get(key: JobKey): Promise<JobRecord | undefined> {
    const record = await super.get(key);
    const held = this.getGate;
    if (held && held.name === key.name) {
      this.getGate = undefined;
      await held.gate.wait();
    }
    return record;
  }

  override async dueBetween(from: number, until: number, limit: number, held: (key: JobKey) => boolean): Promise<DueRead> {
    const waiting = this.dueGate;
    this.dueGate = undefined;
    if (!waiting) return super.dueBetween(from, until, limit, held);
    // A store may leave out what the engine holds, or not: this read leaves nothing out.
    const read = await super.dueBetween(from, until, limit, () => false);
    await waiting.wait();
    return read;
  }

  override async staged(namespace: string, appId: string, limit: number): Promise<JobRecord[]> {
    const records = await super.staged(namespace, appId, limit);
    const held = this.stagedGate;
    this.stagedGate = undefined;
    if (held) await held.wait();
    return records;
  }

  /** Another replica's write: the store changes, the engine is not told (its watch has not caught up). */
  async writeBehind(key: JobKey, change: (p: Progress) => Partial<Progress>): Promise<JobRecord> {
    const current = (await super.get(key))!;
    const progress = progressWith(current.progress, { ...change(current.progress), rev: current.progress.rev + 1 });
    const ok = await super.commitProgress({ key, uid: current.def.uid, expectedRev: current.progress.rev, progress });
    if (!ok) throw new Error('writeBehind refused');
    return { def: current.def, progress };
  }

  private async raced(commit: ProgressCommit): Promise<void> {
    const name = commit.key.name;
    this.commitsOf.set(name, (this.commitsOf.get(name) ?? 0) + 1);
    const racing = this.racing;
    if (!racing || racing.name !== name) return;
    if (--racing.times === 0) this.racing = undefined;
    await racing.work();
  }

  private lostAnswer(commit: ProgressCommit): boolean {
    if (commit.key.name !== this.throwAfterWriteNext) return false;
    this.throwAfterWriteNext = undefined;
    return true;
  }

  private refused(commit: ProgressCommit): boolean {
    if (commit.key.name !== this.refuseNext) return false;
    this.refuseNext = undefined;
    return true;
  }

  private async answer<T>(result: T): Promise<T> {
    const held = this.answerGate;
    this.answerGate = undefined;
    if (held) await held.wait();
    return result;
  }
}
