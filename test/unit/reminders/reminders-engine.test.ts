// Reminders through the real service, engine and memory store on a fake clock: calendar periods
// across month ends, repetitions, the cancel outcome, overwrite and delete.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryJobStore } from '../../../src/adapters/store-memory/index.js';
import { reminderJobKey } from '../../../src/app/reminders/reminder-keys.js';
import { RemindersService } from '../../../src/app/reminders/reminders-service.js';
import { Engine } from '../../../src/core/engine/engine.js';
import { FakeClock } from '../../../src/testing/fake-clock.js';
import { ScriptedDeliverer } from '../../../src/testing/scripted-deliverer.js';

const DAY = 86_400_000;
const owner = { namespace: 'default', appId: 'app' };
const ref = (name: string) => ({ actorType: 'Billing', actorId: 'acct-1', name });

async function makeHarness(start: string) {
  const clock = new FakeClock(start);
  const store = new MemoryJobStore();
  const target = new ScriptedDeliverer(clock);
  // A window of weeks keeps the fake clock from stepping through months of 5-second refills.
  const engine = new Engine(store, target, clock, { random: () => 0, lookaheadMs: 40 * DAY, refillIntervalMs: 10 * DAY });
  const reminders = new RemindersService(store, engine, clock);
  await engine.start();
  const scheduled = (name: string) => target.of(reminderJobKey(owner, ref(name)).name).map((d) => new Date(d.trigger.scheduledAt).toISOString());
  return { clock, store, target, engine, reminders, scheduled };
}

let h: Awaited<ReturnType<typeof makeHarness>>;
afterEach(async () => {
  for (const d of h.target.deliveries) expect(d.at).toBeGreaterThanOrEqual(d.trigger.scheduledAt);
  await h.engine.stop();
});

describe('reminders on the engine (fake clock)', () => {
  it('a P1M reminder due Jan 31 fires Jan 31, Feb 28 and Mar 31', async () => {
    h = await makeHarness('2026-01-30T00:00:00Z');
    await h.reminders.create(owner, ref('monthly'), { dueTime: '2026-01-31T09:00:00Z', period: 'P1M', data: 'invoice' });
    await h.clock.advanceTo(Date.parse('2026-04-01T00:00:00Z'));
    expect(h.scheduled('monthly')).toEqual(['2026-01-31T09:00:00.000Z', '2026-02-28T09:00:00.000Z', '2026-03-31T09:00:00.000Z']);
    const first = h.target.deliveries[0]!;
    expect(first.at).toBe(Date.parse('2026-01-31T09:00:00Z'));
    expect(first.trigger.data).toBe('invoice');
    expect(first.trigger.target).toEqual({
      kind: 'actor',
      type: 'Billing',
      id: 'acct-1',
      reminder: { name: 'monthly', appId: 'app', dueTime: '2026-01-31T09:00:00Z', period: 'P1M' },
    });
    const view = await h.reminders.get(owner, ref('monthly'));
    expect(view.status.count).toBe(3);
    expect(view.status.nextTrigger).toBe('2026-04-30T09:00:00.000Z');
  });

  it('R3/P1M in a leap year: Jan 31, Feb 29, Mar 31, then the reminder is gone', async () => {
    h = await makeHarness('2028-01-30T00:00:00Z');
    await h.reminders.create(owner, ref('thrice'), { dueTime: '2028-01-31T00:00:00Z', period: 'R3/P1M' });
    await h.clock.advanceTo(Date.parse('2028-06-01T00:00:00Z'));
    expect(h.scheduled('thrice')).toEqual(['2028-01-31T00:00:00.000Z', '2028-02-29T00:00:00.000Z', '2028-03-31T00:00:00.000Z']);
    await expect(h.reminders.get(owner, ref('thrice'))).rejects.toMatchObject({ kind: 'not-found', code: 'ERR_ACTOR_REMINDER_GET' });
  });

  it('P1D without dueTime: first one day after creation', async () => {
    h = await makeHarness('2026-02-27T10:00:00Z');
    await h.reminders.create(owner, ref('daily'), { period: 'P1D' });
    await h.clock.advanceTo(Date.parse('2026-03-02T00:00:00Z'));
    expect(h.scheduled('daily')).toEqual(['2026-02-28T10:00:00.000Z', '2026-03-01T10:00:00.000Z']);
  });

  it('R5/PT10S fires five times in total, ten seconds apart', async () => {
    h = await makeHarness('2026-01-01T00:00:00Z');
    await h.reminders.create(owner, ref('five'), { dueTime: '1s', period: 'R5/PT10S' });
    await h.clock.advance(120_000);
    expect(h.scheduled('five')).toEqual(['00:01', '00:11', '00:21', '00:31', '00:41'].map((t) => `2026-01-01T00:00:${t.slice(3)}.000Z`));
  });

  it('the cancel outcome (X-DaprReminderCancel) ends the reminder', async () => {
    h = await makeHarness('2026-01-01T00:00:00Z');
    h.target.respond = () => (h.target.deliveries.length >= 2 ? { kind: 'cancel' } : { kind: 'done' });
    await h.reminders.create(owner, ref('stop'), { period: '1s' });
    await h.clock.advance(10_000);
    expect(h.scheduled('stop')).toHaveLength(2);
    expect(await h.reminders.list(owner, 'Billing', 'acct-1')).toEqual([]);
  });

  it('overwrites by default (progress resets), refuses with overwrite false, deletes', async () => {
    h = await makeHarness('2026-01-01T00:00:00Z');
    await h.reminders.create(owner, ref('r'), { dueTime: '1h', period: '1h' });
    await h.reminders.create(owner, ref('r'), { dueTime: '2h' });
    expect((await h.reminders.get(owner, ref('r'))).dueTime).toBe('2h');
    await expect(h.reminders.create(owner, ref('r'), { dueTime: '3h', overwrite: false })).rejects.toMatchObject({ kind: 'conflict' });
    await h.clock.advance(3 * 3_600_000);
    expect(h.scheduled('r')).toEqual(['2026-01-01T02:00:00.000Z']);
    await h.reminders.create(owner, ref('gone'), { dueTime: '1h' });
    await h.reminders.delete(owner, ref('gone'));
    await h.reminders.delete(owner, ref('gone'));
    await h.clock.advance(2 * 3_600_000);
    expect(h.scheduled('gone')).toEqual([]);
  });

  it("lists one actor's reminders only, and keeps them apart per app", async () => {
    h = await makeHarness('2026-01-01T00:00:00Z');
    await h.reminders.create(owner, ref('a'), { dueTime: '1h' });
    await h.reminders.create(owner, ref('b'), { dueTime: '1h', period: '1m', data: [1] });
    await h.reminders.create(owner, { actorType: 'Billing', actorId: 'acct-10', name: 'c' }, { dueTime: '1h' });
    await h.reminders.create({ namespace: 'default', appId: 'other' }, ref('z'), { dueTime: '1h' });
    const list = await h.reminders.list(owner, 'Billing', 'acct-1');
    expect(list.map((r) => r.name)).toEqual(['a', 'b']);
    expect(list[1]).toMatchObject({ actorType: 'Billing', actorID: 'acct-1', name: 'b', dueTime: '1h', period: '1m', data: [1] });
    expect((await h.reminders.list({ namespace: 'default', appId: 'other' }, 'Billing', 'acct-1')).map((r) => r.name)).toEqual(['z']);
    // The jobs API's app never sees them.
    expect((await h.store.list('default', 'app', { limit: 100 })).records).toEqual([]);
  });
});
