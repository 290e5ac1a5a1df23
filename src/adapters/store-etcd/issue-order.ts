// Keeps the store's operations in the order they were issued, where order matters, without
// serialising everything: etcd answers concurrent requests in any order, but a caller that
// issues create(K) then get(K) without waiting must see the job, and a create, a commit and a
// deleteByPrefix issued back to back must apply in that order.
//
// - a write to one job waits for the earlier writes to that job and for the last wide write;
// - a wide write (deleteByPrefix) waits for every write issued before it;
// - a read of one job waits for the earlier writes to that job and the last wide write;
// - a wide read (list, dueBefore) waits for every write issued before it.
// Reads never hold up later operations. Writes to different jobs run concurrently.

type Task<T> = () => Promise<T>;

export class IssueOrder {
  private readonly lastByJob = new Map<string, Promise<unknown>>();
  private readonly pending = new Set<Promise<unknown>>();
  private lastWide: Promise<unknown> = Promise.resolve();
  /** The last wide write has settled (or there was none): nothing wide to wait for. */
  private wideSettled = true;

  writeJob<T>(id: string, task: Task<T>): Promise<T> {
    const last = this.lastByJob.get(id);
    // Nothing to wait for (the usual case: no write to this job in flight, no wide write): the
    // task starts now instead of a few promise turns later, and no promises are made to wait.
    const run = last === undefined && this.wideSettled ? start(task) : settleAll([last, this.lastWide]).then(task);
    const marker = run.catch(() => undefined);
    this.lastByJob.set(id, marker);
    this.track(marker, () => {
      if (this.lastByJob.get(id) === marker) this.lastByJob.delete(id);
    });
    return run;
  }

  writeWide<T>(task: Task<T>): Promise<T> {
    const run = settleAll([...this.pending, this.lastWide]).then(task);
    const marker = run.catch(() => undefined);
    this.lastWide = marker;
    this.wideSettled = false;
    this.track(marker, () => {
      if (this.lastWide === marker) this.wideSettled = true;
    });
    return run;
  }

  readJob<T>(id: string, task: Task<T>): Promise<T> {
    const before = this.lastByJob.get(id);
    if (before === undefined && this.pending.size === 0) return task();
    return settleAll([before, this.lastWide]).then(task);
  }

  readWide<T>(task: Task<T>): Promise<T> {
    if (this.pending.size === 0) return task();
    return settleAll([...this.pending, this.lastWide]).then(task);
  }

  /** Resolves once everything issued so far has settled. */
  drain(): Promise<void> {
    return settleAll([...this.pending, this.lastWide]);
  }

  private track(marker: Promise<unknown>, done: () => void): void {
    this.pending.add(marker);
    void marker.then(() => {
      this.pending.delete(marker);
      done();
    });
  }
}

function start<T>(task: Task<T>): Promise<T> {
  try {
    return task();
  } catch (error) {
    return Promise.reject(error);
  }
}

async function settleAll(promises: Array<Promise<unknown> | undefined>): Promise<void> {
  const list = promises.filter((p): p is Promise<unknown> => p !== undefined);
  if (list.length > 0) await Promise.allSettled(list);
}
