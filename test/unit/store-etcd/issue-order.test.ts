import { describe, expect, it } from 'vitest';
import { IssueOrder } from '../../../src/adapters/store-etcd/issue-order.js';

/** A task the test finishes by hand, recording when it started. */
function held(log: string[], name: string): { task: () => Promise<string>; finish(): void; fail(error: Error): void } {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = () => resolve(name);
    fail = reject;
  });
  return {
    task: () => {
      log.push(`start ${name}`);
      return done;
    },
    finish: () => finish(),
    fail: (error) => fail(error),
  };
}

const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

describe('IssueOrder', () => {
  it('starts a write with nothing to wait for at once, in the caller turn', () => {
    const order = new IssueOrder();
    const log: string[] = [];
    const a = held(log, 'a');
    void order.writeJob('job-a', a.task);
    expect(log).toEqual(['start a']);
    a.finish();
  });

  it('runs writes to one job in the order they were issued, each after the previous settled', async () => {
    const order = new IssueOrder();
    const log: string[] = [];
    const first = held(log, 'first');
    const second = held(log, 'second');
    const firstDone = order.writeJob('job', first.task);
    const secondDone = order.writeJob('job', second.task);
    await turns();
    expect(log).toEqual(['start first']);
    first.fail(new Error('refused'));
    await expect(firstDone).rejects.toThrow('refused');
    await turns();
    expect(log).toEqual(['start first', 'start second']);
    second.finish();
    await expect(secondDone).resolves.toBe('second');
  });

  it('does not hold up a write to another job', () => {
    const order = new IssueOrder();
    const log: string[] = [];
    const a = held(log, 'a');
    const b = held(log, 'b');
    void order.writeJob('job-a', a.task);
    void order.writeJob('job-b', b.task);
    expect(log).toEqual(['start a', 'start b']);
    a.finish();
    b.finish();
  });

  it('holds a write issued after a wide write until the wide write settled, and starts the next one at once again', async () => {
    const order = new IssueOrder();
    const log: string[] = [];
    const wide = held(log, 'wide');
    const after = held(log, 'after');
    const wideDone = order.writeWide(wide.task);
    void order.writeJob('job', after.task);
    await turns();
    expect(log).toEqual(['start wide']);
    wide.finish();
    await wideDone;
    await turns();
    expect(log).toEqual(['start wide', 'start after']);
    after.finish();
    await turns();
    const later = held(log, 'later');
    void order.writeJob('other', later.task);
    expect(log).toEqual(['start wide', 'start after', 'start later']);
    later.finish();
  });

  it('holds a wide read until the writes issued before it settled, the one started at once included', async () => {
    const order = new IssueOrder();
    const log: string[] = [];
    const write = held(log, 'write');
    void order.writeJob('job', write.task);
    const read = order.readWide(async () => {
      log.push('read');
      return 1;
    });
    await turns();
    expect(log).toEqual(['start write']);
    write.finish();
    await read;
    expect(log).toEqual(['start write', 'read']);
  });

  it('turns a task that throws at once into a rejected write, and the next write to the job still runs', async () => {
    const order = new IssueOrder();
    const failed = order.writeJob('job', () => {
      throw new Error('bad request');
    });
    await expect(failed).rejects.toThrow('bad request');
    await expect(order.writeJob('job', async () => 'next')).resolves.toBe('next');
  });
});
