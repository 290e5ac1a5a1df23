// listen() against a real cluster: three `duetime serve` replicas on a real etcd, and one
// listener given one replica's scheduler address, as docs/sdk.md shows. Each replica fires only
// the jobs of the partitions it owns and hands them to the stream consumers connected to it, so
// the listener must follow WatchHosts and hold a stream to every live replica:
//   1. steady state: every one of 150 one-shot jobs arrives exactly once;
//   2. kill -9 of a replica other than the one given: every job scheduled around the kill
//      arrives (a repeat is allowed only around the failover, a loss never), and the listener
//      drops the dead replica once the cluster does;
//   3. a replica joins: the listener dials it, and every job arrives exactly once again.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterHarness, type Replica } from '../../../src/testing/cluster-harness.js';
import { DuetimeClient, listen, type JobListener } from '@duetime/sdk';

const APP = 'worker';
const JOBS = 150;
/** Generous: a loaded two-core machine, a 5 s lease to expire, a partition take-over. */
const ARRIVAL_TIMEOUT_MS = 90_000;
/**
 * After the last expected arrival, how long a duplicate gets to show up. A repeat that comes
 * later than the jobs it repeats is a retry, sent 1 s after a failed attempt (the default
 * failure policy, constant 1 s); 2 s covers it with a second of slack. (A repeat from a second
 * stream or a take-over comes with or before the last arrival, which waitForAll already waits for.)
 */
const QUIET_MS = 2_000;

describe('listen() in a cluster of three replicas on etcd', () => {
  const cluster = new ClusterHarness({ replicas: 3, leaseTtl: '5s' });
  /** job name -> how many times the handler saw it */
  const seen = new Map<string, number>();
  const errors: string[] = [];
  let listener: JobListener;
  let given: Replica;

  beforeAll(async () => {
    await cluster.start();
    await cluster.waitBalanced();
    given = cluster.replicas[0]!;
    expect(given.schedulerAddress).toMatch(/:\d+$/);
    listener = listen({
      address: given.schedulerAddress,
      appId: APP,
      handlers: {},
      fallback: (job) => {
        seen.set(job.name, (seen.get(job.name) ?? 0) + 1);
      },
      reconnect: { initialMs: 100, maxMs: 2_000 },
      onError: (error) => errors.push(error.message),
    });
    await withTimeout(listener.ready(), 30_000, 'listener.ready()');
  }, 240_000);

  afterAll(async () => {
    await listener?.close();
    await cluster.stop();
  }, 90_000);

  it('receives every job exactly once in steady state, from every replica', async () => {
    const client = new DuetimeClient({ baseUrl: given.url, appId: APP });
    const names = await scheduleOneShots(client, 'steady-', JOBS, 3_000, 1_000);
    // The jobs really are spread over the three replicas (else this test would prove nothing).
    const owners = await cluster.owners();
    const perReplica = countBy(names.map((n) => owners.get(cluster.partitionOfJob(n, APP)) ?? '?'));
    console.log('steady state: jobs per owning replica', perReplica);
    expect(Object.keys(perReplica).length).toBe(3);

    await waitForAll(seen, names, ARRIVAL_TIMEOUT_MS);
    await sleep(QUIET_MS);
    const missing = names.filter((n) => !seen.has(n));
    const repeated = names.filter((n) => (seen.get(n) ?? 0) > 1);
    console.log(`steady state: ${names.length - missing.length} of ${names.length} arrived, ${repeated.length} more than once`);
    expect(missing).toEqual([]);
    expect(repeated).toEqual([]);
  }, 180_000);

  it('after kill -9 of another replica, every job arrives, and the dead replica is dropped', async () => {
    const victim = cluster.replicas[1]!;
    const survivor = cluster.replicas[2]!;
    // Jobs falling due before, during and after the failover (lease 5 s, then a take-over).
    const client = new DuetimeClient({ baseUrl: given.url, appId: APP });
    const before = await scheduleOneShots(client, 'failover-', JOBS, 1_000, 15_000);
    const owners = await cluster.owners();
    const victimJobs = before.filter((n) => owners.get(cluster.partitionOfJob(n, APP)) === victim.name);
    expect(victimJobs.length).toBeGreaterThan(10);
    const killedAt = Date.now();
    await cluster.kill(victim);

    // And jobs scheduled after the kill, while its lease has not yet expired.
    const after = await scheduleOneShots(new DuetimeClient({ baseUrl: survivor.url, appId: APP }), 'after-kill-', 50, 1_000, 5_000);
    const names = [...before, ...after];

    await waitForAll(seen, names, ARRIVAL_TIMEOUT_MS + 30_000);
    await sleep(QUIET_MS);
    const missing = names.filter((n) => !seen.has(n));
    const repeated = names.filter((n) => (seen.get(n) ?? 0) > 1);
    console.log(
      `kill -9 of ${victim.name} (${victimJobs.length} of its jobs among the first ${JOBS}): ${names.length - missing.length} of ${names.length} arrived ` +
        `within ${Date.now() - killedAt} ms of the kill, ${repeated.length} more than once ${JSON.stringify(repeated.slice(0, 10))}`,
    );
    expect(missing).toEqual([]);
    // A repeat only for a job the dead replica owned (a trigger it had handed out but not recorded).
    for (const name of repeated) expect(victimJobs).toContain(name);

    // Once the cluster has dropped the dead replica (its lease expired), so has the listener.
    await waitUntil(() => listener.connections.length === 2 && listener.connections.every((c) => c.connected), 30_000, 'the listener on the two survivors');
    expect(listener.connections.map((c) => c.address).sort()).toEqual([given.schedulerAddress, survivor.schedulerAddress].sort());
    expect(listener.connected).toBe(true);
  }, 240_000);

  it('dials a replica that joins, and receives every job exactly once again', async () => {
    const joined = await cluster.addReplica();
    await cluster.waitBalanced();
    await waitUntil(() => listener.connections.some((c) => c.address === joined.schedulerAddress && c.connected), 30_000, `a stream to ${joined.name}`);
    const client = new DuetimeClient({ baseUrl: joined.url, appId: APP });
    const names = await scheduleOneShots(client, 'joined-', JOBS, 3_000, 1_000);
    const owners = await cluster.owners();
    expect(names.some((n) => owners.get(cluster.partitionOfJob(n, APP)) === joined.name)).toBe(true);
    await waitForAll(seen, names, ARRIVAL_TIMEOUT_MS);
    await sleep(QUIET_MS);
    expect(names.filter((n) => !seen.has(n))).toEqual([]);
    expect(names.filter((n) => (seen.get(n) ?? 0) > 1)).toEqual([]);
    console.log(`after ${joined.name} joined: ${names.length} of ${names.length} arrived once; listener errors so far: ${errors.length}`);
  }, 300_000);
});

/** Schedules `count` one-shots named prefix000..., due from `aheadMs` on, spread over `spreadMs`. */
async function scheduleOneShots(client: DuetimeClient, prefix: string, count: number, aheadMs: number, spreadMs: number): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
  const start = Date.now() + aheadMs;
  // 10 at a time: a loaded machine, three replicas, one etcd.
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(
      names.slice(i, i + 10).map((name, j) => client.schedule(name, { dueTime: new Date(start + Math.floor(((i + j) * spreadMs) / count)).toISOString(), data: { name } })),
    );
  }
  return names;
}

async function waitForAll(seen: Map<string, number>, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (names.every((n) => seen.has(n))) return;
    await sleep(100);
  }
  // Fall through: the caller's assertions name what is missing.
}

async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not resolve within ${ms} ms`)), ms).unref())]);
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
