// What the etcd store knows about partition ownership in cluster mode, kept by the membership
// side (the etcd cluster backend) and read by the store:
//
// - held: partitions this replica owns, each with its fencing token, the create revision of its
//   owner key. dueBefore reads only these; a progress commit for one is conditional on the
//   owner key still having that create revision.
// - fenced-off: partitions this replica owned until it learned (lease lost, a refused commit)
//   that it may no longer. Their stale tokens stay so that a late commit from the old owner
//   fails instead of slipping through unfenced; cleared once the replica has let go.
// - anything else: a partition another replica owns. A commit for it (an API call served here:
//   pause, resume, trigger) is guarded by the job's uid and revision only.
//
// Without a fence (a store used on its own) every partition counts as held and nothing is fenced.

export class PartitionFence {
  private readonly held = new Map<number, number>();
  private readonly stale = new Map<number, number>();
  private readonly lostListeners = new Set<(partition: number) => void>();
  /** Bumped on every change of what is held, so a reader can tell that something changed and back. */
  epoch = 0;

  constructor(readonly partitionCount: number) {}

  /** Partitions this replica owns now, ascending. */
  ownedPartitions(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  owns(partition: number): boolean {
    return this.held.has(partition);
  }

  /** The token a commit for this partition must match, or undefined for an unfenced commit. */
  tokenFor(partition: number): number | undefined {
    return this.held.get(partition) ?? this.stale.get(partition);
  }

  hold(partition: number, token: number): void {
    this.epoch++;
    this.stale.delete(partition);
    this.held.set(partition, token);
  }

  /** Given up on purpose (hand-over): commits for it are unfenced API writes from now on. */
  release(partition: number): void {
    this.epoch++;
    this.held.delete(partition);
    this.stale.delete(partition);
  }

  /** Lost without letting go: late commits with the old token must fail. */
  fenceOff(partition: number): void {
    const token = this.held.get(partition);
    if (token === undefined) return;
    this.epoch++;
    this.held.delete(partition);
    this.stale.set(partition, token);
    for (const listener of this.lostListeners) listener(partition);
  }

  /** Partitions lost without a release whose stale tokens are still kept, ascending. */
  stalePartitions(): number[] {
    return [...this.stale.keys()].sort((a, b) => a - b);
  }

  /** Forgets stale tokens once nothing of the old ownership can still be committing. */
  clearStale(partition?: number): void {
    if (partition === undefined) this.stale.clear();
    else this.stale.delete(partition);
  }

  /** The store found a partition's owner key changed under a commit. */
  onLost(listener: (partition: number) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }
}
