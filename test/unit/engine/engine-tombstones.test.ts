// What a finished job leaves when the engine keeps tombstones (keepFinished): its record in state
// completed or failed, written by the same commit as its last outcome, with that outcome in its
// history; never fired again, refused by manual operations, replaced by a create of its name.

import { afterEach, describe, expect, it } from 'vitest';
import { initialProgress } from '../../../src/core/engine/progression.js';
import { JobFinishedError } from '../../../src/core/errors.js';
import { parseJobRequest } from '../../../src/core/model/job-request.js';
import { parseSchedule } from '../../../src/core/schedule/index.js';
import { makeHarness, T0 } from './harness.js';

type Harness = Awaited<ReturnType<typeof makeHarness>>;
let h: Harness;
afterEach(async () => {
  h.assertNeverEarly();
  await h.engine.stop();
});

const fail = () => ({ kind: 'failed' as const, detail: 'HTTP 500' });

describe('engine: tombstones of finished jobs', () => {
  it('a delivered one-shot job stays readable as completed, with its last outcome, and never fires again', async () => {
    h = await makeHarness({ keepFinished: () => true });
    const finished: unknown[] = [];
    h.engine.events.on('finished', (e) => finished.push(e));
    await h.schedule('once', { dueTime: '1s' });
    await h.clock.advance(5_000);
    const view = await h.jobs.get(h.key('once'));
    expect(view.status).toMatchObject({ state: 'completed', count: 1, lastTrigger: new Date(T0 + 1_000).toISOString(), finishedTime: new Date(T0 + 1_000).toISOString() });
    expect(view.status.nextTrigger).toBeUndefined();
    expect((await h.jobs.history(h.key('once'))).map((e) => e.outcome)).toEqual(['success']);
    expect(finished).toEqual([{ key: h.key('once'), count: 1, state: 'completed' }]);
    // Nothing due: a refill, a restart's load, a later hour fire nothing.
    await h.engine.refillNow();
    await h.clock.advance(3_600_000);
    expect(h.target.of('once')).toHaveLength(1);
    expect(await h.store.dueBefore(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('a tick given up by its failure policy leaves a failed tombstone with every attempt in its history', async () => {
    h = await makeHarness({ keepFinished: () => true });
    h.target.respond = fail;
    await h.schedule('doomed', { dueTime: '1s', failurePolicy: { constant: { interval: '1s', maxRetries: 2 } } });
    await h.clock.advance(10_000);
    expect(h.target.of('doomed')).toHaveLength(3);
    expect((await h.jobs.get(h.key('doomed'))).status.state).toBe('failed');
    expect((await h.jobs.history(h.key('doomed'))).map((e) => [e.outcome, e.detail])).toEqual([
      ['dropped', 'HTTP 500'],
      ['failed', 'HTTP 500'],
      ['failed', 'HTTP 500'],
    ]);
  });

  it('a repeating job whose ticks run out completes; one whose ttl passed before its first tick completes with none', async () => {
    h = await makeHarness({ keepFinished: () => true });
    await h.schedule('thrice', { schedule: '@every 1s', repeats: 3 });
    // Such a job is refused now (ttl before the first tick, issue 10 row 15), but one stored before
    // that rule still loads: write it to the store directly.
    const { def } = parseJobRequest(h.key('expired'), { schedule: '@every 10s', ttl: '15s' }, T0, 'uid-expired');
    const expired = { ...def, ttl: '5s', expiresAt: T0 + 5_000 };
    const record = { def: expired, progress: initialProgress(expired, parseSchedule('@every 10s')) };
    await h.store.create(record, { overwrite: false });
    h.engine.upsert(record);
    await h.clock.advance(10_000);
    expect(h.target.of('thrice')).toHaveLength(3);
    expect((await h.jobs.get(h.key('thrice'))).status).toMatchObject({ state: 'completed', count: 3 });
    expect(h.target.of('expired')).toHaveLength(0);
    expect((await h.jobs.get(h.key('expired'))).status).toMatchObject({ state: 'completed', count: 0 });
  });

  it('manual operations on a tombstone are refused and change nothing', async () => {
    h = await makeHarness({ keepFinished: () => true });
    await h.schedule('done', { dueTime: '1s' });
    await h.clock.advance(2_000);
    await expect(h.jobs.trigger(h.key('done'))).rejects.toBeInstanceOf(JobFinishedError);
    await expect(h.jobs.resume(h.key('done'))).rejects.toBeInstanceOf(JobFinishedError);
    await expect(h.jobs.pause(h.key('done'))).rejects.toBeInstanceOf(JobFinishedError);
    await h.clock.advance(5_000);
    expect(h.target.of('done')).toHaveLength(1);
    expect((await h.jobs.get(h.key('done'))).status.state).toBe('completed');
  });

  it('a create of the name replaces the tombstone without overwrite, and the new job fires', async () => {
    h = await makeHarness({ keepFinished: () => true });
    await h.schedule('reuse', { dueTime: '1s' });
    await h.clock.advance(2_000);
    await h.schedule('reuse', { dueTime: '1s' });
    expect((await h.jobs.get(h.key('reuse'))).status.state).toBe('active');
    expect(await h.jobs.history(h.key('reuse'))).toEqual([]);
    await h.clock.advance(2_000);
    expect(h.target.of('reuse')).toHaveLength(2);
  });

  it('a tombstone handed to the engine (the cluster job watch, a refill) is neither fired nor deleted', async () => {
    h = await makeHarness({ keepFinished: () => true });
    await h.schedule('seen', { dueTime: '1s' });
    await h.clock.advance(2_000);
    const tombstone = (await h.store.get(h.key('seen')))!;
    h.engine.upsert(tombstone);
    await h.engine.refillNow();
    await h.clock.advance(5_000);
    expect(h.target.of('seen')).toHaveLength(1);
    expect(await h.store.get(h.key('seen'))).toEqual(tombstone);
    expect(h.engine.stats().inMemory).toBe(0);
  });

  it('without keepFinished (the default) a finished job is deleted, as before', async () => {
    h = await makeHarness();
    await h.schedule('plain', { dueTime: '1s' });
    await h.clock.advance(2_000);
    expect(await h.store.get(h.key('plain'))).toBeUndefined();
  });

  it('keepFinished decides per job: jobs it refuses are deleted', async () => {
    h = await makeHarness({ keepFinished: (def) => def.key.name !== 'skip' });
    await h.schedule('skip', { dueTime: '1s' });
    await h.schedule('keep', { dueTime: '1s' });
    await h.clock.advance(2_000);
    expect(await h.store.get(h.key('skip'))).toBeUndefined();
    expect((await h.store.get(h.key('keep')))?.progress).toMatchObject({ state: 'completed', finishedAt: T0 + 1_000 });
  });
});
