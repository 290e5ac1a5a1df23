// An outcome whose commit is refused as stale because another replica wrote the job while its
// delivery was in flight (a pause, resume, trigger-now, overwrite or delete served there, which
// this replica's job watch reports only later). The store's version still has the answered
// attempt pending unless the other write moved it on: the outcome is applied to it and committed
// again, so the answered tick is recorded once and not delivered again; what the other write set
// (paused, a manual trigger) stays. An overwrite, a delete, a moved tick or a lost partition is
// never given the old outcome: the store's version wins, and a new owner delivers the tick again
// (at least once).
//
// "Elsewhere" is a second engine on the same store that fires nothing (retainOnly(() => false)),
// with its own JobsService: the other replica. This engine hears of its writes only when the test
// hands them over (upsert, remove), as the cluster's job watch does, later.
//
// Those that failed before the re-apply was built: the pause, pause and resume, failed attempt,
// one-shot, manual trigger, staged release, raced again, and watch-during-the-read tests.

import { afterEach, describe, expect, it } from 'vitest';
import { JobsService } from '../../../src/app/jobs-service.js';
import { Engine } from '../../../src/core/engine/engine.js';
import type { JobKey } from '../../../src/core/model/job.js';
import type { Outcome } from '../../../src/core/model/trigger.js';
import { ScriptedDeliverer } from '../../../src/testing/scripted-deliverer.js';
import { makeHarness, T0 } from './harness.js';
import { RaceStore } from './race-store.js';

type Harness = Awaited<ReturnType<typeof makeHarness<RaceStore>>>;
let h: Harness | undefined;
let others: Engine[] = [];
afterEach(async () => {
  for (const other of others) await other.stop();
  others = [];
  if (!h) return;
  const harness = h;
  h = undefined;
  harness.assertNeverEarly();
  await harness.stop();
});

async function setup(options: Parameters<typeof makeHarness>[0] = {}): Promise<Harness> {
  h = await makeHarness(options, new RaceStore());
  return h;
}

/** Another replica on the same store: it serves API calls and fires nothing of these jobs. */
async function elsewhere(harness: Harness): Promise<{ engine: Engine; jobs: JobsService }> {
  const engine = new Engine(harness.store, new ScriptedDeliverer(harness.clock), harness.clock, { random: () => 0 });
  others.push(engine);
  await engine.retainOnly(() => false);
  await engine.start();
  return { engine, jobs: new JobsService(harness.store, engine, harness.clock) };
}

/** The target answers each delivery when the test says (answers.shift()!(outcome)). */
function answerLater(harness: Harness): Array<(o: Outcome) => void> {
  const answers: Array<(o: Outcome) => void> = [];
  harness.target.respond = () => new Promise<Outcome>((resolve) => answers.push(resolve));
  return answers;
}

/** Deliveries of a job as [manual, scheduled, attempt, delivered], in ms after T0. */
function delivered(harness: Harness, name: string, skip = 0): Array<[boolean, number, number, number]> {
  return harness.target
    .of(name)
    .slice(skip)
    .map((d) => [d.trigger.manual, d.trigger.scheduledAt - T0, d.trigger.attempt, d.at - T0]);
}

/** The watch catches up: the engine is handed the store's record, or told it is gone. */
async function watchReports(harness: Harness, key: JobKey): Promise<void> {
  const record = await harness.store.get(key);
  if (record) harness.engine.upsert(record);
  else harness.engine.remove(key);
}

describe('engine: an outcome refused because another replica wrote the job during its delivery', () => {
  // 'here': the same pause through this replica (no refusal), for what a single node does.
  it.each(['elsewhere', 'here'])('paused %s, answered done: the tick is recorded, the job stays paused, and resumed it goes on with the next tick', async (where) => {
    const { clock, store, engine, jobs, key } = await setup();
    const other = await elsewhere(h!);
    const answers = answerLater(h!);
    await h!.schedule('p', { schedule: '@every 10s' });
    await clock.advance(10_000); // the 10 s tick is in flight
    await (where === 'here' ? jobs : other.jobs).pause(key('p'));
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await clock.advance(0);
    await watchReports(h!, key('p'));
    // As a single node does with a pause landing during a delivery: the tick done, the job paused.
    expect((await store.get(key('p')))?.progress).toMatchObject({ state: 'paused', count: 1, attempts: 0, lastTrigger: T0 + 10_000, tickAt: T0 + 20_000 });
    expect((await store.history(key('p'), 10)).map((e) => [e.scheduledAt - T0, e.outcome])).toEqual([[10_000, 'success']]);
    await clock.advance(5_000);
    await engine.resume(key('p')); // at 15 s
    await clock.advance(10_000);
    expect(delivered(h!, 'p')).toEqual([
      [false, 10_000, 1, 10_000],
      [false, 20_000, 1, 20_000],
    ]);
  });

  it('paused and resumed elsewhere, answered done: the tick once, the next on time', async () => {
    const { clock, key } = await setup();
    const other = await elsewhere(h!);
    const answers = answerLater(h!);
    await h!.schedule('pr', { schedule: '@every 10s' });
    await clock.advance(10_000);
    await other.jobs.pause(key('pr'));
    await other.jobs.resume(key('pr'));
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await clock.advance(0);
    await watchReports(h!, key('pr'));
    await clock.advance(15_000);
    expect(delivered(h!, 'pr')).toEqual([
      [false, 10_000, 1, 10_000],
      [false, 20_000, 1, 20_000],
    ]);
  });

  it('triggered elsewhere during a failed attempt: the failure counts once, its retry is attempt 2 at its time, the manual trigger goes out once', async () => {
    const { clock, store, key } = await setup();
    const other = await elsewhere(h!);
    const answers = answerLater(h!);
    await h!.schedule('f', { schedule: '@every 10s', failurePolicy: { constant: { interval: '3s' } } });
    await clock.advance(10_000);
    await other.jobs.trigger(key('f'));
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'failed', detail: '503' });
    await clock.advance(0);
    // The failure recorded on the store's version (the manual trigger, due at once, has gone out since).
    expect((await store.get(key('f')))?.progress).toMatchObject({ count: 0, attempts: 1, tickAt: T0 + 10_000, nextAt: T0 + 13_000 });
    await watchReports(h!, key('f'));
    await clock.advance(12_000);
    expect(delivered(h!, 'f')).toEqual([
      [false, 10_000, 1, 10_000],
      [true, 10_000, 1, 10_000],
      [false, 10_000, 2, 13_000],
      [false, 20_000, 1, 20_000],
    ]);
  });

  it('a one-shot answered done while triggered elsewhere: its tick once, the manual trigger once, then it is gone', async () => {
    const { clock, store, key } = await setup();
    const other = await elsewhere(h!);
    const answers = answerLater(h!);
    await h!.schedule('once', { dueTime: '10s' });
    await clock.advance(10_000);
    await other.jobs.trigger(key('once'));
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await clock.advance(0);
    await watchReports(h!, key('once'));
    await clock.advance(5_000);
    expect(delivered(h!, 'once')).toEqual([
      [false, 10_000, 1, 10_000],
      [true, 10_000, 1, 10_000],
    ]);
    expect(await store.get(key('once'))).toBeUndefined();
  });

  it.each(['elsewhere', 'here'])('a one-shot answered done while paused %s: it ends (as on a single node) and is not delivered again', async (where) => {
    const { clock, store, jobs, key } = await setup();
    const other = await elsewhere(h!);
    const answers = answerLater(h!);
    await h!.schedule('once', { dueTime: '10s' });
    await clock.advance(10_000);
    await (where === 'here' ? jobs : other.jobs).pause(key('once'));
    answers.shift()!({ kind: 'done' });
    await clock.advance(0);
    await watchReports(h!, key('once'));
    expect(await store.get(key('once'))).toBeUndefined();
    await clock.advance(5_000);
    expect(delivered(h!, 'once')).toEqual([[false, 10_000, 1, 10_000]]);
  });

  it('a manual trigger answered done while the job is paused elsewhere: not delivered again, the job stays paused', async () => {
    const { clock, store, engine, key } = await setup();
    const other = await elsewhere(h!);
    const answers = answerLater(h!);
    await h!.schedule('m', { schedule: '@every 60s' });
    await clock.advance(1_000);
    await engine.triggerNow(key('m'));
    await clock.advance(0); // the manual trigger is in flight
    await other.jobs.pause(key('m'));
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await clock.advance(0);
    await watchReports(h!, key('m'));
    await clock.advance(5_000);
    expect(delivered(h!, 'm')).toEqual([[true, 1_000, 1, 1_000]]);
    const progress = (await store.get(key('m')))!.progress;
    expect(progress).toMatchObject({ state: 'paused', count: 0, tickAt: T0 + 60_000 });
    expect(progress.manualAt).toBeUndefined();
  });

  it('a released staged trigger answered done while triggered elsewhere: delivered once, the manual trigger once, no longer staged', async () => {
    const { clock, store, engine, key } = await setup();
    const other = await elsewhere(h!);
    h!.target.respond = () => ({ kind: 'staged', detail: 'no consumer' });
    await h!.schedule('st', { schedule: '@every 60s' });
    await clock.advance(60_000);
    expect((await store.get(key('st')))?.progress.staged).toBe(true);
    const answers = answerLater(h!);
    engine.releaseStaged('default', 'app');
    await clock.advance(0); // the released tick is in flight
    expect(answers).toHaveLength(1);
    await other.jobs.trigger(key('st'));
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await clock.advance(0);
    await watchReports(h!, key('st'));
    await clock.advance(5_000);
    expect(delivered(h!, 'st', 1)).toEqual([
      [false, 60_000, 1, 60_000],
      [true, 60_000, 1, 60_000],
    ]);
    expect((await store.get(key('st')))?.progress).toMatchObject({ count: 1, tickAt: T0 + 120_000 });
    expect((await store.get(key('st')))?.progress.staged).toBeUndefined();
  });

  it('refused again while the outcome is committed anew (more writes elsewhere): tried again, the tick still once', async () => {
    const { clock, store, key } = await setup();
    await h!.schedule('busy', { schedule: '@every 10s' });
    // Before this job's next two commits another writer moves it on: the outcome's commit and
    // the first commit of it anew are refused, the next is written.
    store.raceCommits('busy', 2, () => store.writeBehind(key('busy'), () => ({})));
    await clock.advance(10_000);
    await clock.advance(0);
    expect(store.commitsOf.get('busy')).toBe(3);
    expect((await store.get(key('busy')))?.progress).toMatchObject({ count: 1, tickAt: T0 + 20_000 });
    await clock.advance(10_000);
    expect(delivered(h!, 'busy')).toEqual([
      [false, 10_000, 1, 10_000],
      [false, 20_000, 1, 20_000],
    ]);
  });

  it("the watch reports the other replica's write while the store's version is read: the tick once, the manual trigger once", async () => {
    const { clock, store, key } = await setup();
    const answers = answerLater(h!);
    await h!.schedule('w', { schedule: '@every 10s' });
    await clock.advance(10_000);
    const now = clock.now();
    const triggered = await store.writeBehind(key('w'), () => ({ manualAt: now, manualAttempts: 0, manualNextAt: now }));
    const read = store.holdNextGet('w');
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await read.reached; // refused; the store's version is read
    h!.engine.upsert(triggered);
    read.open();
    await clock.advance(0);
    await clock.advance(5_000);
    expect(delivered(h!, 'w')).toEqual([
      [false, 10_000, 1, 10_000],
      [true, 10_000, 1, 10_000],
    ]);
  });
});

describe('engine: a refused outcome the store has moved past is not applied again', () => {
  it('overwritten elsewhere during the delivery: the old outcome never lands on the new job, which fires on its own time', async () => {
    const { clock, store, key } = await setup();
    const other = await elsewhere(h!);
    const answers = answerLater(h!);
    await h!.schedule('ow', { schedule: '@every 10s', data: 'old' });
    await clock.advance(10_000);
    await other.jobs.schedule(key('ow'), { dueTime: '25s', data: 'new', overwrite: true }); // due at 35 s
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await clock.advance(0);
    const stored = (await store.get(key('ow')))!;
    expect(stored.def.data).toBe('new');
    expect(stored.progress).toMatchObject({ rev: 1, count: 0, tickAt: T0 + 35_000 });
    expect(await store.history(key('ow'), 10)).toEqual([]);
    await watchReports(h!, key('ow'));
    await clock.advance(30_000);
    expect(h!.target.of('ow').map((d) => [d.trigger.data, d.at - T0])).toEqual([
      ['old', 10_000],
      ['new', 35_000],
    ]);
  });

  it('deleted elsewhere during the delivery: not brought back, never delivered again', async () => {
    const { clock, store, key } = await setup();
    const other = await elsewhere(h!);
    const answers = answerLater(h!);
    await h!.schedule('del', { schedule: '@every 10s' });
    await clock.advance(10_000);
    await other.jobs.delete(key('del'));
    answers.shift()!({ kind: 'done' });
    await clock.advance(0);
    await watchReports(h!, key('del'));
    await clock.advance(25_000);
    expect(delivered(h!, 'del')).toEqual([[false, 10_000, 1, 10_000]]);
    expect(await store.get(key('del'))).toBeUndefined();
  });

  it('its tick moved on elsewhere (a catch-up): the old outcome is not applied to the new tick, which is delivered', async () => {
    const { clock, store, key } = await setup();
    const answers = answerLater(h!);
    await h!.schedule('mv', { schedule: '@every 10s' });
    await clock.advance(10_000);
    const moved = await store.writeBehind(key('mv'), () => ({ tickAt: T0 + 20_000, nextAt: T0 + 20_000 }));
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await clock.advance(0);
    h!.engine.upsert(moved);
    await clock.advance(15_000);
    expect(delivered(h!, 'mv')).toEqual([
      [false, 10_000, 1, 10_000],
      [false, 20_000, 1, 20_000],
    ]);
  });

  it('its own commit written but answered with an error, then refused as stale on the retry: the failure counts once', async () => {
    const { clock, store, key } = await setup();
    h!.target.respond = (trigger) => (trigger.attempt === 1 ? { kind: 'failed', detail: '503' } : { kind: 'done' });
    await h!.schedule('own', { schedule: '@every 10s', failurePolicy: { constant: { interval: '3s' } } });
    store.throwAfterWriteNext = 'own';
    await clock.advance(10_000); // attempt 1 fails; its commit is written, the answer lost; the retry is refused
    await clock.advance(1_000);
    expect((await store.get(key('own')))?.progress).toMatchObject({ attempts: 1, nextAt: T0 + 13_000 });
    await clock.advance(5_000);
    expect(delivered(h!, 'own')).toEqual([
      [false, 10_000, 1, 10_000],
      [false, 10_000, 2, 13_000],
    ]);
  });

  it('the partition lost at the commit (a fenced commit) while another replica wrote the job: not applied again here, left for the new owner', async () => {
    const { clock, store, engine, key } = await setup();
    const lost = new Set<string>();
    // Ownership as the cluster member answers it: at once, from what the store's fence learned.
    await engine.retainOnly((k) => !lost.has(k.name));
    const answers = answerLater(h!);
    await h!.schedule('moved', { schedule: '@every 10s' });
    await clock.advance(10_000);
    const now = clock.now();
    await store.writeBehind(key('moved'), () => ({ manualAt: now, manualAttempts: 0, manualNextAt: now }));
    store.raceCommits('moved', 1, async () => lost.add('moved')); // the commit finds the partition gone
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await clock.advance(0);
    await clock.advance(5_000);
    expect(delivered(h!, 'moved')).toEqual([[false, 10_000, 1, 10_000]]);
    // The new owner delivers the tick again (at least once), then the manual trigger.
    expect((await store.get(key('moved')))?.progress).toMatchObject({ count: 0, attempts: 0, tickAt: T0 + 10_000, manualAt: T0 + 10_000 });
  });

  it('deleted through this replica while the store\'s version is read: not brought back', async () => {
    const { clock, store, jobs, key } = await setup();
    const answers = answerLater(h!);
    await h!.schedule('gone', { schedule: '@every 10s' });
    await clock.advance(10_000);
    await store.writeBehind(key('gone'), () => ({ state: 'paused' }));
    await store.writeBehind(key('gone'), () => ({ state: 'active' }));
    const read = store.holdNextGet('gone');
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await read.reached;
    await jobs.delete(key('gone'));
    read.open();
    await clock.advance(0);
    await clock.advance(25_000);
    expect(delivered(h!, 'gone')).toEqual([[false, 10_000, 1, 10_000]]);
    expect(await store.get(key('gone'))).toBeUndefined();
  });

  it("overwritten through this replica while the store's version is read: the old outcome never lands on the new job", async () => {
    const { clock, store, jobs, key } = await setup();
    const answers = answerLater(h!);
    await h!.schedule('swap', { schedule: '@every 10s', data: 'old' });
    await clock.advance(10_000);
    await store.writeBehind(key('swap'), () => ({ state: 'paused' }));
    await store.writeBehind(key('swap'), () => ({ state: 'active' }));
    const read = store.holdNextGet('swap');
    h!.target.respond = () => ({ kind: 'done' });
    answers.shift()!({ kind: 'done' });
    await read.reached;
    await jobs.schedule(key('swap'), { dueTime: '5s', data: 'new', overwrite: true }); // due at 15 s
    read.open();
    await clock.advance(0);
    expect((await store.get(key('swap')))?.progress).toMatchObject({ rev: 1, count: 0 });
    await clock.advance(10_000);
    expect(h!.target.of('swap').map((d) => [d.trigger.data, d.at - T0])).toEqual([
      ['old', 10_000],
      ['new', 15_000],
    ]);
  });
});
