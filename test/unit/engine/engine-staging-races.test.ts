// Staged triggers and their releases raced against the API (overwrite, delete, pause, resume,
// trigger-now) and against each other. A release reads the app's staged jobs from the store
// (staged-releases.ts), and between that read and its answer the job may change: the store
// here holds a read's answer (the read itself is done: what it returns is the store as it was),
// or a commit's answer (written, the engine not told yet), so another operation lands in between.
//
// The promises checked: nothing is delivered before its time or with a job's data after that job
// was replaced; a deleted or paused job is not delivered after the call returned; a tick answered
// 'done' is not delivered again; every staged trigger goes out once a release runs with its
// consumer present.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import type { JobKey, JobRecord } from '../../../src/core/model/job.js';
import type { Outcome, Trigger } from '../../../src/core/model/trigger.js';
import type { ProgressCommit } from '../../../src/core/ports/job-store.js';
import { makeHarness, T0 } from './harness.js';

/** A read or commit done in the store whose answer the test holds. */
interface Held {
  names: string[];
  answer: () => void;
}

/** The memory store, with the answers of its staged reads and of its commits held on demand. */
class RaceStore extends MemoryJobStore {
  holdStaged = false;
  holdCommits = false;
  readonly stagedReads: Held[] = [];
  readonly commits: Held[] = [];

  override async staged(namespace: string, appId: string, limit: number): Promise<JobRecord[]> {
    // The read is done now (the store as it is); only its answer waits.
    const read = super.staged(namespace, appId, limit);
    if (!this.holdStaged) return read;
    const records = await read;
    await new Promise<void>((answer) => this.stagedReads.push({ names: records.map((r) => r.def.key.name), answer }));
    return records;
  }

  override async commitProgressBatch(commits: readonly ProgressCommit[]): Promise<boolean[]> {
    const results = super.commitProgressBatch(commits);
    return this.answer(results, commits);
  }

  override async commitProgress(commit: ProgressCommit): Promise<boolean> {
    const result = super.commitProgress(commit);
    return this.answer(result, [commit]);
  }

  private async answer<T>(result: Promise<T>, commits: readonly ProgressCommit[]): Promise<T> {
    if (!this.holdCommits) return result;
    const value = await result;
    await new Promise<void>((answer) => this.commits.push({ names: commits.map((c) => c.key.name), answer }));
    return value;
  }

  /** Answers everything held, and stops holding. */
  answerAll(): void {
    this.holdStaged = this.holdCommits = false;
    for (const held of this.stagedReads.splice(0)) held.answer();
    for (const held of this.commits.splice(0)) held.answer();
  }
}

type Harness = Awaited<ReturnType<typeof makeHarness<RaceStore>>>;
let h: Harness;
afterEach(async () => {
  h.store.answerAll();
  h.assertNeverEarly();
  await h.stop();
});

/** A target that stages every trigger of the apps in `away`, and delivers the rest. */
function awayApps(away: Set<string>): (t: Trigger) => Outcome {
  return (t) => (away.has(t.key.appId) ? { kind: 'staged', detail: `no endpoint for ${t.key.appId}` } : { kind: 'done' });
}

/** A harness whose app 'app' has no consumer, with the named one-shots (due at 1 s) staged. */
async function withStaged(names: string[], data: unknown = 'old'): Promise<{ away: Set<string> }> {
  h = await makeHarness({}, new RaceStore());
  const away = new Set(['app']);
  h.target.respond = awayApps(away);
  for (const name of names) await h.schedule(name, { dueTime: '1s', data });
  await h.clock.advance(2_000);
  for (const name of names) expect((await h.store.get(h.key(name)))?.progress.staged).toBe(true);
  expect(h.engine.stats().inMemory).toBe(0);
  return { away };
}

/**
 * As StagedRelease does in the server: a trigger staged while its app has a consumer is released
 * again (the engine's 'staged' event). With it, the tests below ask of the engine only what the
 * server as a whole would get.
 */
function releaseOnStaged(away: Set<string>): void {
  h.engine.events.on('staged', ({ key }) => {
    if (!away.has(key.appId)) h.engine.releaseStaged(key.namespace, key.appId);
  });
}

/** Deliveries of a job from index `from` of the target's list on. */
function deliveredSince(from: number, name: string) {
  return h.target.deliveries.slice(from).filter((d) => d.trigger.key.name === name);
}

describe('engine: a release whose page read is under way', () => {
  it('a job deleted while the read is out is not delivered after the delete returned', async () => {
    const { away } = await withStaged(['gone']);
    away.clear();
    h.store.holdStaged = true;
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(0);
    expect(h.store.stagedReads.map((r) => r.names)).toEqual([['gone']]);
    await h.jobs.delete(h.key('gone'));
    const mark = h.target.deliveries.length;
    h.store.answerAll();
    await h.clock.advance(1_000);
    expect(deliveredSince(mark, 'gone')).toEqual([]);
    expect(await h.store.get(h.key('gone'))).toBeUndefined();
  });

  it("a job overwritten (due after the look-ahead) while the read is out: the old job's trigger is not delivered, the new one goes at its time", async () => {
    const { away } = await withStaged(['swap'], 'old');
    away.clear();
    h.store.holdStaged = true;
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(0);
    expect(h.store.stagedReads.map((r) => r.names)).toEqual([['swap']]);
    const newDue = T0 + 60_000;
    await h.schedule('swap', { dueTime: new Date(newDue).toISOString(), data: 'new', overwrite: true });
    const mark = h.target.deliveries.length;
    h.store.answerAll();
    await h.clock.advance(60_000);
    expect(deliveredSince(mark, 'swap').map((d) => [d.trigger.data, d.at])).toEqual([['new', newDue]]);
    expect(await h.store.get(h.key('swap'))).toBeUndefined();
  });

  it('a job paused while the read is out is not delivered after the pause returned; resumed, it goes out once', async () => {
    const { away } = await withStaged(['p']);
    away.clear();
    h.store.holdStaged = true;
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(0);
    expect(h.store.stagedReads.map((r) => r.names)).toEqual([['p']]);
    await h.jobs.pause(h.key('p'));
    const mark = h.target.deliveries.length;
    h.store.answerAll();
    await h.clock.advance(1_000);
    expect(deliveredSince(mark, 'p')).toEqual([]);
    expect((await h.store.get(h.key('p')))?.progress.state).toBe('paused');
    await h.jobs.resume(h.key('p'));
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(1_000);
    expect(deliveredSince(mark, 'p')).toHaveLength(1);
    expect(await h.store.get(h.key('p'))).toBeUndefined();
  });

  it("trigger-now while the read is out: the staged tick goes out once (answered 'done'), the manual trigger once, nothing left staged", async () => {
    const { away } = await withStaged(['m']);
    away.clear();
    h.store.holdStaged = true;
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(0);
    expect(h.store.stagedReads.map((r) => r.names)).toEqual([['m']]);
    await h.jobs.trigger(h.key('m'));
    const mark = h.target.deliveries.length;
    h.store.answerAll();
    await h.clock.advance(1_000);
    h.engine.releaseStaged('default', 'app'); // asked again: whatever is still staged goes now
    await h.clock.advance(1_000);
    const after = deliveredSince(mark, 'm');
    expect(after.filter((d) => !d.trigger.manual).map((d) => d.trigger.scheduledAt)).toEqual([T0 + 1_000]);
    expect(after.filter((d) => d.trigger.manual)).toHaveLength(1);
    expect(await h.store.stagedCounts()).toEqual([]);
    expect(await h.store.get(h.key('m'))).toBeUndefined();
  });
});

describe('engine: two releases reading the same staged job', () => {
  it("a stream consumer's connect (the app's release and the namespace's, as staged-release.ts starts them): a tick answered 'done' by the first is not delivered again by the second", async () => {
    const { away } = await withStaged(['twice']);
    away.clear();
    h.store.holdStaged = true;
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(0);
    const mark = h.target.deliveries.length;
    // The namespace's release becomes the app's release again (asked to read once more), not a
    // second reader of the same staged job (it was one before, and delivered the tick twice).
    h.engine.releaseStagedInNamespace('default');
    await h.clock.advance(0);
    expect(h.store.stagedReads.map((r) => r.names)).toEqual([['twice']]);
    // The app's read answers: the trigger goes out, is answered, and its commit ends the job.
    h.store.stagedReads.shift()!.answer();
    await h.clock.advance(0);
    expect(deliveredSince(mark, 'twice')).toHaveLength(1);
    expect(await h.store.get(h.key('twice'))).toBeUndefined();
    // Whatever read follows (the release asked again) answers now.
    h.store.answerAll();
    await h.clock.advance(1_000);
    expect(deliveredSince(mark, 'twice')).toHaveLength(1);
  });
});

describe('engine: a release while a manual operation holds a staged job', () => {
  it('trigger-now written, not yet answered, when the consumer comes: the release must not end without the job', async () => {
    const { away } = await withStaged(['busy']);
    releaseOnStaged(away);
    h.store.holdCommits = true;
    const triggered = h.jobs.trigger(h.key('busy'));
    await h.clock.advance(0);
    expect(h.store.commits.map((c) => c.names)).toEqual([['busy']]);
    // The consumer connects now: the release reads the job (staged, with the manual trigger) under its lock.
    away.clear();
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(0);
    const mark = h.target.deliveries.length;
    h.store.answerAll();
    await triggered;
    await h.clock.advance(1_000);
    expect(deliveredSince(mark, 'busy').map((d) => d.trigger.manual).sort()).toEqual([false, true]);
    expect(await h.store.stagedCounts()).toEqual([]);
  });

  it('resume written, not yet answered, when the consumer comes: the resumed staged job goes out with that release', async () => {
    const { away } = await withStaged(['res']);
    releaseOnStaged(away);
    await h.jobs.pause(h.key('res'));
    h.store.holdCommits = true;
    const resumed = h.jobs.resume(h.key('res'));
    await h.clock.advance(0);
    expect(h.store.commits.map((c) => c.names)).toEqual([['res']]);
    away.clear();
    h.engine.releaseStaged('default', 'app');
    await h.clock.advance(0);
    const mark = h.target.deliveries.length;
    h.store.answerAll();
    await resumed;
    await h.clock.advance(1_000);
    expect(deliveredSince(mark, 'res')).toHaveLength(1);
    expect(await h.store.stagedCounts()).toEqual([]);
  });
});

describe('engine: a namespace release while another app has no consumer', () => {
  it("one app's trigger staged again does not end the release of the namespace's other staged triggers", async () => {
    h = await makeHarness({ releaseBatch: 2 }, new RaceStore());
    const away = new Set(['gone', 'host']);
    h.target.respond = awayApps(away);
    releaseOnStaged(away);
    const key = (appId: string, name: string): JobKey => ({ namespace: 'default', appId, name });
    // The away app's trigger is the earliest staged: it leads the namespace's first page.
    await h.jobs.schedule(key('gone', 'g1'), { dueTime: '1s' });
    for (let i = 1; i <= 4; i++) await h.jobs.schedule(key('host', `r${i}`), { dueTime: `${1 + i}s` });
    await h.clock.advance(10_000);
    expect(await h.store.stagedCounts()).toEqual([
      { namespace: 'default', appId: 'gone', count: 1 },
      { namespace: 'default', appId: 'host', count: 4 },
    ]);
    // A consumer that may host 'host''s work appears: the namespace's staged triggers are released.
    away.delete('host');
    const mark = h.target.deliveries.length;
    h.engine.releaseStagedInNamespace('default');
    await h.clock.advance(1_000);
    const released = h.target.deliveries.slice(mark).filter((d) => d.trigger.key.appId === 'host');
    expect(released.map((d) => d.trigger.key.name)).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(await h.store.stagedCounts()).toEqual([{ namespace: 'default', appId: 'gone', count: 1 }]);
  });
});
