import { describe, expect, it } from 'vitest';
import { initialProgress } from '../../../src/core/engine/progression.js';
import { parseJobRequest } from '../../../src/core/model/job-request.js';
import { parseSchedule } from '../../../src/core/schedule/index.js';

const NOW = Date.parse('2026-05-10T12:00:00.000Z');
const key = { namespace: 'ns', appId: 'app', name: 'job' };
const parse = (body: unknown) => parseJobRequest(key, body, NOW, 'uid-1');
const firstTick = (body: Record<string, unknown>) => {
  const { def } = parse(body);
  return initialProgress(def, def.schedule ? parseSchedule(def.schedule) : undefined).tickAt;
};

describe('job request: accepted forms (SPEC 2)', () => {
  it('dueTime as RFC3339, Go duration and ISO 8601 duration', () => {
    expect(parse({ dueTime: '2026-05-10T13:00:00+01:00' }).def.dueAt).toBe(NOW);
    expect(parse({ dueTime: '1h30m' }).def.dueAt).toBe(NOW + 90 * 60_000);
    expect(parse({ dueTime: '500ms' }).def.dueAt).toBe(NOW + 500);
    expect(parse({ dueTime: '1.5s' }).def.dueAt).toBe(NOW + 1500);
    expect(parse({ dueTime: 'PT2H' }).def.dueAt).toBe(NOW + 2 * 3600_000);
    expect(parse({ dueTime: 'P1D' }).def.dueAt).toBe(NOW + 24 * 3600_000);
    expect(parse({ due_time: '10s' }).def.dueAt).toBe(NOW + 10_000);
  });

  it('a negative duration is in the past and fires at once', () => {
    expect(parse({ dueTime: '-10s' }).def.dueAt).toBe(NOW - 10_000);
  });

  it('default failure policy: constant 1 s, 3 retries', () => {
    const { def } = parse({ dueTime: '1s' });
    expect(def.failurePolicy).toEqual({ kind: 'constant', intervalMs: 1000, maxRetries: 3 });
    expect(def.failurePolicySource).toEqual({ constant: { interval: '1s', maxRetries: 3 } });
  });

  it('failure policies: drop, constant without maxRetries, exponential', () => {
    expect(parse({ dueTime: '1s', failurePolicy: { drop: {} } }).def.failurePolicy).toEqual({ kind: 'drop' });
    expect(parse({ dueTime: '1s', failurePolicy: { constant: { interval: '5s' } } }).def.failurePolicy).toEqual({ kind: 'constant', intervalMs: 5000 });
    expect(
      parse({ dueTime: '1s', failurePolicy: { exponential: { initialInterval: '1s', maxInterval: '1m', multiplier: 2, maxRetries: 10, jitter: 0.2 } } }).def.failurePolicy,
    ).toEqual({ kind: 'exponential', initialIntervalMs: 1000, maxIntervalMs: 60_000, multiplier: 2, maxRetries: 10, jitter: 0.2 });
  });

  it('relative ttl counts from dueTime when one is set, else from now', () => {
    expect(parse({ schedule: '@every 1s', dueTime: '1h', ttl: '30m' }).def.expiresAt).toBe(NOW + 90 * 60_000);
    expect(parse({ schedule: '@every 1s', ttl: '30m' }).def.expiresAt).toBe(NOW + 30 * 60_000);
  });

  it('schedule only: first tick strictly after creation', () => {
    expect(firstTick({ schedule: '0 0 12 * * *' })).toBe(Date.parse('2026-05-11T12:00:00Z'));
    expect(firstTick({ schedule: '@every 10s' })).toBe(NOW + 10_000);
  });

  it('schedule + dueTime: first tick at dueTime', () => {
    expect(firstTick({ schedule: '0 0 12 * * *', dueTime: '5s' })).toBe(NOW + 5000);
  });

  it('catchUp and target', () => {
    expect(parse({ dueTime: '1s' }).def.catchUp).toBe('all');
    expect(parse({ dueTime: '1s', catchUp: 'none' }).def.catchUp).toBe('none');
    expect(parse({ dueTime: '1s' }).def.target).toEqual({ kind: 'app' });
  });

  it('repeats 1 without a schedule is allowed (a one-shot)', () => {
    expect(parse({ dueTime: '1s', repeats: 1 }).def.repeats).toBe(1);
  });
});

describe('job request: rejections name the field', () => {
  const cases: Array<[string, unknown, string, string]> = [
    ['neither schedule nor dueTime', {}, 'DAPR_SCHEDULER_SCHEDULE_EMPTY', 'schedule'],
    ['blank schedule and no dueTime', { schedule: '  ' }, 'DAPR_SCHEDULER_SCHEDULE_EMPTY', 'schedule'],
    ['repeats < 1', { schedule: '@every 1s', repeats: 0 }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'repeats'],
    ['repeats not whole', { schedule: '@every 1s', repeats: 1.5 }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'repeats'],
    ['repeats > 1 without schedule', { dueTime: '1s', repeats: 3 }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'repeats'],
    ['ttl without schedule', { dueTime: '1s', ttl: '1h' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'ttl'],
    ['ttl before dueTime', { schedule: '@every 1s', dueTime: '2026-06-01T00:00:00Z', ttl: '2026-05-20T00:00:00Z' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'ttl'],
    ['unparsable schedule', { schedule: 'sometimes' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'schedule'],
    ['unparsable dueTime', { dueTime: 'soon' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'dueTime'],
    ['unparsable ttl', { schedule: '@every 1s', ttl: 'later' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'ttl'],
    ['unknown time zone', { schedule: 'TZ=Nowhere/City 0 0 * * * *' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'schedule'],
    ['unparsable interval', { dueTime: '1s', failurePolicy: { constant: { interval: 'often' } } }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'failurePolicy.constant.interval'],
    ['two policies', { dueTime: '1s', failurePolicy: { drop: {}, constant: {} } }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'failurePolicy'],
    ['unknown policy', { dueTime: '1s', failurePolicy: { linear: {} } }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'failurePolicy'],
    ['negative maxRetries', { dueTime: '1s', failurePolicy: { constant: { maxRetries: -1 } } }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'failurePolicy'],
    ['jitter > 1', { dueTime: '1s', failurePolicy: { exponential: { jitter: 2 } } }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'failurePolicy'],
    ['name in the body', { name: 'x', dueTime: '1s' }, 'DAPR_SCHEDULER_JOB_NAME', 'name'],
    ['overwrite not boolean', { dueTime: '1s', overwrite: 'yes' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'overwrite'],
    ['bad catchUp', { dueTime: '1s', catchUp: 'some' }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'catchUp'],
    ['bad target', { dueTime: '1s', target: { email: {} } }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'target'],
    ['schedule not a string', { schedule: 5 }, 'DAPR_SCHEDULER_SCHEDULE_JOB', 'schedule'],
    ['body not an object', 'text', 'ERR_MALFORMED_REQUEST', ''],
  ];
  it.each(cases)('%s', (_what, body, code, field) => {
    let caught: unknown;
    try {
      parse(body);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ kind: 'invalid', code });
    if (field) expect((caught as { field?: string }).field).toBe(field);
    expect((caught as Error).message.length).toBeGreaterThan(10);
  });
});
