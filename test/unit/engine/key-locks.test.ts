import { describe, expect, it } from 'vitest';
import { KeyLocks } from '../../../src/core/engine/key-locks.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('KeyLocks', () => {
  it('runs work of one key one at a time, in order; other keys do not wait', async () => {
    const locks = new KeyLocks();
    const log: string[] = [];
    const first = deferred();
    const a1 = locks.run('a', async () => {
      log.push('a1 start');
      await first.promise;
      log.push('a1 end');
    });
    const a2 = locks.run('a', async () => void log.push('a2'));
    const b = locks.run('b', async () => void log.push('b'));
    await b;
    expect(log).toEqual(['a1 start', 'b']);
    expect(locks.isLocked('a')).toBe(true);
    first.resolve();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
    await locks.drain();
    expect(locks.isLocked('a')).toBe(false);
  });

  it('work queued for the same key from inside running work waits behind it', async () => {
    const locks = new KeyLocks();
    const log: string[] = [];
    let nested: Promise<void> | undefined;
    await locks.run('k', async () => {
      nested = locks.run('k', async () => void log.push('nested'));
      log.push('outer');
    });
    await nested;
    expect(log).toEqual(['outer', 'nested']);
  });

  it('a failure rejects that caller only and releases the key; a synchronous throw becomes a rejection', async () => {
    const locks = new KeyLocks();
    const failing = locks.run('k', () => Promise.reject(new Error('boom')));
    const throwing = locks.run('k', () => {
      throw new Error('sync');
    });
    const after = locks.run('k', async () => 'ok');
    await expect(failing).rejects.toThrow('boom');
    await expect(throwing).rejects.toThrow('sync');
    await expect(after).resolves.toBe('ok');
    await locks.drain();
    expect(locks.isLocked('k')).toBe(false);
  });

  it('drain waits for queued work', async () => {
    const locks = new KeyLocks();
    const gate = deferred();
    let done = false;
    void locks.run('k', () => gate.promise);
    void locks.run('k', async () => {
      done = true;
    });
    const drained = locks.drain();
    gate.resolve();
    await drained;
    expect(done).toBe(true);
  });

  it('tryHold: one hold per key; work queued behind a hold starts at its release, in order, and other keys are free', async () => {
    const locks = new KeyLocks();
    expect(locks.tryHold('a')).toBe(true);
    expect(locks.tryHold('b')).toBe(true);
    expect(locks.tryHold('a')).toBe(false);
    const order: string[] = [];
    const first = locks.run('a', async () => void order.push('first'));
    const second = locks.run('a', async () => void order.push('second'));
    await Promise.resolve();
    expect(order).toEqual([]);
    locks.release('b');
    expect(locks.isLocked('b')).toBe(false);
    expect(locks.tryHold('b')).toBe(true); // a key's hold, released, can be taken again
    locks.release('b');
    locks.release('a');
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(locks.tryHold('a')).toBe(true);
    locks.release('a');
    await locks.drain();
    expect(locks.isLocked('a')).toBe(false);
  });

  it('whenFree: at once for a free key; else after the last queued work, with the key unlocked', async () => {
    const locks = new KeyLocks();
    const seen: string[] = [];
    locks.whenFree('a', () => seen.push(`free a locked=${locks.isLocked('a')}`));
    expect(seen).toEqual(['free a locked=false']);
    expect(locks.tryHold('a')).toBe(true);
    const queued = locks.run('a', async () => {
      seen.push('queued ran');
    });
    locks.whenFree('a', () => seen.push(`after a locked=${locks.isLocked('a')}`));
    locks.release('a');
    await queued;
    await Promise.resolve();
    expect(seen).toEqual(['free a locked=false', 'queued ran', 'after a locked=false']);
  });
});
