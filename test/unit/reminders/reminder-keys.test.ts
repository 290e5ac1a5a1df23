import { describe, expect, it } from 'vitest';
import {
  actorPrefix,
  ownerOfReminderApp,
  parseReminderJobName,
  reminderAppId,
  reminderJobKey,
  type ReminderRef,
} from '../../../src/app/reminders/reminder-keys.js';
import { DuetimeError } from '../../../src/core/errors.js';
import { validateName } from '../../../src/core/model/names.js';

const owner = { namespace: 'ns', appId: 'shop' };
const ref = (actorType: string, actorId: string, name: string): ReminderRef => ({ actorType, actorId, name });

describe('reminder job names', () => {
  it('files reminders under a reserved app id that no API caller can have', () => {
    const key = reminderJobKey(owner, ref('Cart', 'c-1', 'expire'));
    expect(key).toEqual({ namespace: 'ns', appId: 'shop/actor-reminders', name: 'Cart||c-1||expire' });
    expect(reminderAppId('shop')).toBe('shop/actor-reminders');
    expect(ownerOfReminderApp('shop/actor-reminders')).toBe('shop');
    expect(ownerOfReminderApp('shop')).toBeUndefined();
    // The jobs API and app identity validate app ids with these rules: "/" is refused.
    expect(() => validateName(key.appId, 'app id')).toThrow(/contains \//);
  });

  it('makes valid job names of any parts, escaping what job names may not hold', () => {
    const weird = ref('a/b', 'x?y#z', 'back\\slash\u0001and|pipe%');
    const key = reminderJobKey(owner, weird);
    expect(key.name).toBe('a%2Fb||x%3Fy%23z||back%5Cslash%01and%7Cpipe%25');
    expect(() => validateName(key.name)).not.toThrow();
    expect(parseReminderJobName(key.name)).toEqual(weird);
  });

  it('round-trips unicode and spaces untouched', () => {
    const r = ref('Zähler', 'id with spaces', '⏰');
    expect(reminderJobKey(owner, r).name).toBe('Zähler||id with spaces||⏰');
    expect(parseReminderJobName(reminderJobKey(owner, r).name)).toEqual(r);
  });

  it('is one-to-one: "|" inside a part cannot fake a separator', () => {
    const names = [
      ref('a||b', 'c', 'd'),
      ref('a', 'b||c', 'd'),
      ref('a', 'b', 'c||d'),
      ref('a|', '|b', 'c'),
      ref('a', '|', '|b|c'),
      ref('a%7C', 'b', 'c'),
      ref('a|', 'b', 'c'),
    ].map((r) => reminderJobKey(owner, r).name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("keeps one actor's reminders under a prefix no other actor shares", () => {
    const prefix = actorPrefix('Cart', 'c');
    expect(reminderJobKey(owner, ref('Cart', 'c', 'x')).name.startsWith(prefix)).toBe(true);
    expect(reminderJobKey(owner, ref('Cart', 'c1', 'x')).name.startsWith(prefix)).toBe(false);
    expect(reminderJobKey(owner, ref('Cart', 'c||x', 'y')).name.startsWith(prefix)).toBe(false);
    expect(reminderJobKey(owner, ref('Cart|', '|c', 'x')).name.startsWith(prefix)).toBe(false);
  });

  it.each([
    [ref(' ', 'c', 'x'), 'actor type is empty'],
    [ref('Cart', '', 'x'), 'actor id is empty'],
    [ref('Cart', 'c', ''), 'reminder name is empty'],
    [ref('Cart', 'c', 'n'.repeat(510)), 'the limit is 512'],
    [ref('Cart', 'c', '|'.repeat(200)), 'the limit is 512'],
  ])('rejects %j', (r, message) => {
    let error: unknown;
    try {
      reminderJobKey(owner, r);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DuetimeError);
    expect((error as DuetimeError).kind).toBe('invalid');
    expect((error as DuetimeError).message).toContain(message);
  });
});
