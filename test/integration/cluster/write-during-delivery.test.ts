// Two replicas on one real etcd, a job delivered to a slow app while the replica that does not own
// it answers a trigger-now of it. That write moves the job's revision but not its due index key
// (the tick in flight is overdue, the manual trigger due after it), so the owner's job watch does
// not report it, and the owner's commit of the tick's outcome is refused as stale. The owner reads
// the job again, applies the outcome to it (the manual trigger kept) and commits that: the tick
// is delivered once, then the manual trigger once. Before that was built the tick went out twice.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterHarness, type Replica } from '../../../src/testing/cluster-harness.js';

const SLOW_MS = 3_000;

/** Checks every 20 ms until the predicate holds; throws after timeoutMs. */
async function poll(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("cluster: another replica's write lands while the owner's delivery of the job is in flight", () => {
  const cluster = new ClusterHarness({ replicas: 2 });
  let answered = 0;

  beforeAll(async () => {
    await cluster.start();
    await cluster.waitBalanced();
    // The first delivery of each job is answered slowly (200 after SLOW_MS), the rest at once.
    const first = new Set<string>();
    cluster.receiver.respond = (request) => {
      if (first.has(request.path)) return { status: 200 };
      first.add(request.path);
      answered++;
      return { status: 200, delayMs: SLOW_MS };
    };
  }, 180_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  it('trigger-now through the other replica during a slow delivery: the tick once, the manual trigger once', async () => {
    const name = 'slow-tick';
    const owners = await cluster.owners();
    const owner = owners.get(cluster.partitionOfJob(name))!;
    const other: Replica = cluster.live().find((r) => r.name !== owner)!;
    const dueAt = Date.now() + 2_000;
    await cluster.schedule(name, { dueTime: new Date(dueAt).toISOString(), schedule: '@every 1h' }, other);
    const ofJob = () => cluster.receiver.received.filter((r) => r.path.endsWith(`/job/${name}`));
    // Polled, not the receiver's waitFor: that wakes as a reply is sent, SLOW_MS after this one came.
    await poll(() => ofJob().length >= 1, 20_000, 'the first delivery');
    const received = ofJob()[0]!.receivedAt;
    expect(answered).toBe(1); // its answer is held for SLOW_MS: the delivery is in flight

    const response = await fetch(`${other.url}/v1.0-alpha1/jobs/${name}/trigger`, { method: 'POST' });
    expect(response.status).toBe(200);
    // Answered while the delivery was still out (else the race did not happen and the test proves nothing).
    expect(Date.now() - received).toBeLessThan(SLOW_MS);

    await cluster.receiver.waitFor(() => ofJob().some((r) => String(r.headers['duetime-trigger-id']).includes('-m')), SLOW_MS + 15_000, 'the manual trigger');
    // Longer than a refill interval and the answer's wait: a second delivery of the tick would show now.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const seen = ofJob().map((r) => ({
      manual: String(r.headers['duetime-trigger-id']).includes('-m'),
      scheduledAt: r.scheduledAt,
      by: r.path.split('/')[1],
      early: r.scheduledAt !== undefined && r.receivedAt < r.scheduledAt,
    }));
    const regular = seen.filter((d) => !d.manual);
    expect(regular.map((d) => d.scheduledAt)).toEqual([dueAt]);
    expect(seen.filter((d) => d.manual)).toHaveLength(1);
    expect(seen.every((d) => d.by === owner && !d.early)).toBe(true);
  }, 60_000);
});
