import { describe, expect, it } from 'vitest';
import { reminderJobKey } from '../../../src/app/reminders/reminder-keys.js';
import { parseReminderRequest } from '../../../src/app/reminders/reminder-request.js';
import { DuetimeError } from '../../../src/core/errors.js';

const NOW = Date.parse('2026-01-30T12:00:00Z');
const owner = { namespace: 'default', appId: 'app' };
const ref = { actorType: 'Cart', actorId: 'c-1', name: 'expire' };
const key = reminderJobKey(owner, ref);
const parse = (body: unknown) => parseReminderRequest(key, owner, ref, body, NOW, 'uid-1');

function errorOf(body: unknown): DuetimeError {
  try {
    parse(body);
  } catch (error) {
    return error as DuetimeError;
  }
  throw new Error('expected an error');
}

describe('reminder body to job', () => {
  it('a one-shot reminder without dueTime fires at once; overwrite defaults to true', () => {
    const { def, overwrite } = parse({});
    expect(overwrite).toBe(true);
    expect(def.dueAt).toBe(NOW);
    expect(def.schedule).toBeUndefined();
    expect(def.target).toEqual({ kind: 'actor', type: 'Cart', id: 'c-1', reminder: { name: 'expire', appId: 'app' } });
  });

  it('an empty body (no JSON at all) is a one-shot reminder', () => {
    expect(parse(undefined).def.dueAt).toBe(NOW);
  });

  it('dueTime and period: first tick at dueTime, the period anchored there; the strings kept for the actor', () => {
    const { def } = parse({ dueTime: '2026-01-31T09:00:00Z', period: 'P1M', data: { n: 1 } });
    expect(def.dueAt).toBe(Date.parse('2026-01-31T09:00:00Z'));
    expect(def.schedule).toBe('@every P1M from 2026-01-31T09:00:00.000Z');
    expect(def.data).toEqual({ n: 1 });
    expect(def.target.kind === 'actor' && def.target.reminder).toEqual({ name: 'expire', appId: 'app', dueTime: '2026-01-31T09:00:00Z', period: 'P1M' });
  });

  it('a period without dueTime starts one period after creation, anchored on now', () => {
    const { def } = parse({ period: 'P1D' });
    expect(def.dueAt).toBeUndefined();
    expect(def.schedule).toBe('@every P1D from 2026-01-30T12:00:00.000Z');
  });

  it('R5/PT10S: five ticks in total', () => {
    const { def } = parse({ dueTime: '0s', period: 'R5/PT10S' });
    expect(def.repeats).toBe(5);
    expect(def.schedule).toBe('@every 10000ms');
  });

  it('dueTime in Go and ISO forms; relative ttl counts from dueTime', () => {
    expect(parse({ dueTime: '1h30m' }).def.dueAt).toBe(NOW + 5_400_000);
    expect(parse({ dueTime: 'PT2H' }).def.dueAt).toBe(NOW + 7_200_000);
    const { def } = parse({ dueTime: '1h', period: '10s', ttl: '1h' });
    expect(def.expiresAt).toBe(NOW + 7_200_000);
    expect(parse({ period: '10s', ttl: 'P1D' }).def.expiresAt).toBe(NOW + 86_400_000);
  });

  it('overwrite false, a failure policy and Dapr SDK echoes of the URL parts', () => {
    const { def, overwrite } = parse({ overwrite: false, failurePolicy: { drop: {} }, actorType: 'Cart', actorID: 'c-1', name: 'expire' });
    expect(overwrite).toBe(false);
    expect(def.failurePolicy).toEqual({ kind: 'drop' });
  });

  it.each([
    [[], 'ERR_MALFORMED_REQUEST', undefined, 'must be a JSON object'],
    [{ peroid: '10s' }, 'ERR_ACTOR_REMINDER_CREATE', 'peroid', 'not a reminder field'],
    [{ period: 10 }, 'ERR_ACTOR_REMINDER_CREATE', 'period', 'must be a string'],
    [{ period: 'often' }, 'ERR_ACTOR_REMINDER_CREATE', 'period', 'period "often"'],
    [{ dueTime: 'later' }, 'ERR_ACTOR_REMINDER_CREATE', 'dueTime', 'dueTime "later"'],
    [{ dueTime: '1h', period: '1s', ttl: '2026-01-01T00:00:00Z' }, 'ERR_ACTOR_REMINDER_CREATE', 'ttl', 'ttl expires before'],
    [{ ttl: 'soon' }, 'ERR_ACTOR_REMINDER_CREATE', 'ttl', 'ttl "soon"'],
    [{ overwrite: 'yes' }, 'ERR_ACTOR_REMINDER_CREATE', 'overwrite', 'true or false'],
    [{ failurePolicy: { sometimes: {} } }, 'ERR_ACTOR_REMINDER_CREATE', 'failurePolicy', 'unknown'],
  ])('rejects %j', (body, code, field, message) => {
    const error = errorOf(body);
    expect(error).toBeInstanceOf(DuetimeError);
    expect(error.kind).toBe('invalid');
    expect(error.code).toBe(code);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });
});
