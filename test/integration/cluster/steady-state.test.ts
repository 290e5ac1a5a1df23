// Three replicas on one real etcd, hundreds of jobs scheduled through all of them: every tick is
// delivered exactly once, never early, and the work is spread over the replicas.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_CLI, builtCliEnv } from '../../../src/testing/built-cli.js';
import { ClusterHarness, duplicates } from '../../../src/testing/cluster-harness.js';

const clusterStatus = async (...args: string[]) => (await promisify(execFile)(process.execPath, [BUILT_CLI, 'cluster', 'status', ...args], { env: builtCliEnv() })).stdout;

describe('cluster: steady state', () => {
  // --max-data-bytes raised past etcd's request limit (1.5 MiB), so the too-big job below meets etcd's own limit.
  const cluster = new ClusterHarness({ replicas: 3, args: ['--max-data-bytes', String(4 * 1024 * 1024)] });

  beforeAll(async () => {
    await cluster.start();
    await cluster.waitBalanced();
  }, 180_000);

  afterAll(async () => {
    await cluster.stop();
  }, 60_000);

  it('shares the partitions evenly and shows them in /v1.0/cluster', async () => {
    const status = await cluster.status();
    expect(status.members).toHaveLength(3);
    expect(status.unowned).toBe(0);
    const counts = status.members.map((m) => m.partitions.length).sort();
    expect(counts.reduce((a, b) => a + b, 0)).toBe(256);
    for (const c of counts) expect(c).toBeGreaterThanOrEqual(84);
    // Every replica answers with the same view.
    for (const r of cluster.live()) expect((await cluster.status(r.url)).members.map((m) => m.partitions.length).sort()).toEqual(counts);
  });

  it('duetime cluster status shows every replica, its addresses and its partitions', async () => {
    const status = await cluster.status();
    const json = JSON.parse(await clusterStatus('--url', cluster.live()[1]!.url, '--json')) as typeof status;
    expect(json.members.map((m) => [m.id, m.partitions.length])).toEqual(status.members.map((m) => [m.id, m.partitions.length]));
    const table = await clusterStatus('--url', cluster.live()[1]!.url);
    expect(table).toContain('3 replicas, 256 partitions, 0 unowned; healthy');
    for (const m of status.members) {
      const row = table.split('\n').find((line) => line.includes(m.id))!;
      expect(row).toContain(m.url!);
      expect(row).toContain(m.schedulerAddress!);
      expect(row).toContain(String(m.partitions.length));
    }
    expect(table.split('\n').filter((line) => line.includes('(answering)'))).toHaveLength(1);
  });

  it('delivers every tick of 300 jobs exactly once, spread over the replicas', async () => {
    const jobs = 300;
    const ticks = 4;
    const names = Array.from({ length: jobs }, (_, i) => `steady-${String(i).padStart(3, '0')}`);
    const start = Date.now() + 4_000;
    const replicas = cluster.live();
    // Through every replica in turn: most land on a replica that does not own the job.
    await Promise.all(
      names.map((name, i) =>
        cluster.schedule(name, { dueTime: new Date(start + (i % 10) * 100).toISOString(), schedule: '@every 1s', repeats: ticks, data: { i } }, replicas[i % replicas.length]),
      ),
    );
    const expected = jobs * ticks;
    await cluster.waitFor((d) => d.filter((x) => x.job.startsWith('steady-')).length >= expected, 90_000, `${expected} deliveries`);
    // A little longer: a duplicate would show up now.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const deliveries = cluster.deliveries().filter((d) => d.job.startsWith('steady-'));

    const dups = duplicates(deliveries);
    if (dups.length > 0) console.log('duplicates in steady state:', dups.slice(0, 20));
    expect(dups).toEqual([]);
    expect(deliveries).toHaveLength(expected);
    for (const name of names) expect(deliveries.filter((d) => d.job === name)).toHaveLength(ticks);
    expect(deliveries.filter((d) => d.receivedAt < d.scheduledAt)).toEqual([]);

    // Each job fired by the replica owning its partition; each replica fired a fair part.
    const owners = await cluster.owners();
    for (const d of deliveries) expect(d.replica).toBe(owners.get(cluster.partitionOfJob(d.job)));
    const perReplica = new Map<string, number>();
    for (const d of deliveries) perReplica.set(d.replica, (perReplica.get(d.replica) ?? 0) + 1);
    console.log('deliveries per replica:', Object.fromEntries(perReplica));
    expect(perReplica.size).toBe(3);
    for (const count of perReplica.values()) expect(count).toBeGreaterThan(expected / 6);

    const late = deliveries.map((d) => d.receivedAt - d.scheduledAt).sort((a, b) => a - b);
    console.log('lateness ms: p50', late[Math.floor(late.length / 2)], 'p99', late[Math.floor(late.length * 0.99)], 'max', late[late.length - 1]);
  });

  it('refuses a job larger than etcd takes in one request with 413, and keeps working', async () => {
    const via = cluster.live()[0]!;
    const response = await fetch(`${via.url}/v1.0-alpha1/jobs/too-big`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dueTime: '1h', data: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { message: string }).message).toMatch(/max-request-bytes/);
    const get = await fetch(`${via.url}/v1.0-alpha1/jobs/too-big`);
    expect(get.status).toBe(404);
  });

  it('serves pause, resume, trigger and delete from any replica for jobs another one owns', async () => {
    const name = 'remote-control';
    const owners = await cluster.owners();
    const owner = owners.get(cluster.partitionOfJob(name));
    const [a, b] = cluster.live().filter((r) => r.name !== owner); // neither owns the job
    const count = () => cluster.deliveries().filter((d) => d.job === name).length;
    const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500)); // an in-flight tick lands
    await cluster.schedule(name, { schedule: '@every 1s', dueTime: '1s' }, a);
    await cluster.waitFor(() => count() > 0, 20_000, `${name} to fire`);

    const call = async (via: typeof a, action: string) => {
      const response = await fetch(`${via!.url}/v1.0-alpha1/jobs/${name}/${action}`, { method: 'POST' });
      expect(response.status, `${action} via ${via!.name}`).toBe(200);
    };
    await call(a, 'pause');
    await settle();
    const paused = count();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(count()).toBe(paused);

    // A manual trigger fires even while paused, once.
    await call(b, 'trigger');
    await cluster.waitFor(() => count() === paused + 1, 20_000, `the manual trigger of ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(count()).toBe(paused + 1);

    await call(b, 'resume');
    await cluster.waitFor(() => count() > paused + 2, 20_000, `${name} to fire after resume`);
    // Every delivery came from the owner, whichever replica took the call.
    expect(new Set(cluster.deliveries().filter((d) => d.job === name).map((d) => d.replica))).toEqual(new Set([owner]));

    const del = await fetch(`${a!.url}/v1.0-alpha1/jobs/${name}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    await settle();
    const final = count();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(count()).toBe(final);
  });
});
