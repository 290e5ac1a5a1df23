/**
 * Serialises async work per key: the engine is the one writer of a job's progress, and this is
 * how it keeps an outcome commit, a pause and a manual trigger of one job from interleaving.
 */
export class KeyLocks {
  private tails = new Map<string, Promise<void>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  isLocked(key: string): boolean {
    return this.tails.has(key);
  }

  /** Resolves when every queued operation has finished. */
  async drain(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
