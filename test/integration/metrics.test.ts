// /metrics on a real node after real deliveries: one delivered, one failed then given up, one
// staged (its app has no endpoint). Each metric of docs/metrics.md is checked by name, labels
// and value; on etcd, the cluster's partition gauges too.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd, type EtcdServer } from '../../src/testing/servers/etcd.js';
import { startNode, type Node } from './support.js';

type Samples = Map<string, number>;

/** Prometheus text exposition as series (name{labels}, labels as printed) -> value. */
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(\S+?(?:\{[^}]*\})?)\s+(\S+)$/.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

async function scrape(node: Node): Promise<{ text: string; samples: Samples }> {
  const res = await node.call('GET', '/metrics');
  expect(res.status).toBe(200);
  return { text: res.text, samples: parse(res.text) };
}

/** Runs the three deliveries and waits until the staged one is filed and the others are finished. */
async function deliver(node: Node): Promise<void> {
  node.receiver.respond = (request) => ({ status: request.path.endsWith('/job/bad') ? 500 : 200 });
  expect((await node.call('POST', '/v1.0/jobs/ok', { dueTime: '100ms' })).status).toBe(204);
  expect((await node.call('POST', '/v1.0/jobs/bad', { dueTime: '100ms', failurePolicy: { constant: { interval: '200ms', maxRetries: 1 } } })).status).toBe(204);
  expect((await node.call('POST', '/v1.0/jobs/waits', { dueTime: '100ms' }, { 'dapr-app-id': 'away' })).status).toBe(204);
  expect((await node.call('POST', '/v1.0/jobs/hourly', { schedule: '@every 1h' })).status).toBe(204);
  const state = async (name: string) => (await node.call('GET', `/v1.0/jobs/${name}`)).body?.status?.state;
  await expect.poll(() => state('ok'), { timeout: 20_000 }).toBe('completed');
  await expect.poll(() => state('bad'), { timeout: 20_000 }).toBe('failed');
  await expect.poll(async () => (await node.call('GET', '/v1.0/jobs/waits', undefined, { 'dapr-app-id': 'away' })).body?.status?.state, { timeout: 20_000 }).toBe('staged');
}

function checkCommon(text: string, samples: Samples): void {
  const series = (name: string) => samples.get(name);
  // Lateness: fine buckets from 1 ms to 60 s; every attempt observed (ok, bad twice, waits at least once).
  expect(series('duetime_trigger_lateness_seconds_bucket{le="0.001"}')).toBeGreaterThanOrEqual(0);
  expect(series('duetime_trigger_lateness_seconds_bucket{le="60"}')).toBeGreaterThanOrEqual(4);
  expect(series('duetime_trigger_lateness_seconds_count')).toBeGreaterThanOrEqual(4);
  // Deliveries by app, target kind and outcome.
  const delivered = (appId: string, outcome: string) => series(`duetime_deliveries_total{namespace="default",app_id="${appId}",target_kind="app",outcome="${outcome}"}`);
  expect(delivered('app', 'success')).toBe(1);
  expect(delivered('app', 'failed')).toBe(1);
  expect(delivered('app', 'dropped')).toBe(1);
  expect(delivered('away', 'staged')).toBeGreaterThanOrEqual(1);
  expect(series('duetime_trigger_attempts_total{outcome="success"}')).toBe(1);
  // Staged per app.
  expect(series('duetime_staged_triggers{namespace="default",app_id="away"}')).toBe(1);
  // Store write latency by operation: four creates, a progress commit per outcome.
  expect(series('duetime_store_commit_seconds_count{operation="create"}')).toBeGreaterThanOrEqual(4);
  expect(series('duetime_store_commit_seconds_count{operation="commit_progress"}')).toBeGreaterThanOrEqual(4);
  expect(series('duetime_store_commit_seconds_sum{operation="commit_progress"}')).toBeGreaterThan(0);
  expect(series('duetime_store_commit_seconds_bucket{le="5",operation="commit_progress"}')).toBe(series('duetime_store_commit_seconds_count{operation="commit_progress"}'));
  // Event-loop delay: the client library's standard Node.js metrics.
  expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  expect(series('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
  expect(series('nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(0);
}

describe('/metrics after real deliveries (SQLite)', () => {
  let node: Node;
  beforeAll(async () => {
    node = await startNode({ deliveryTimeout: '10s' });
  });
  afterAll(async () => {
    await node?.close();
  });

  it('has every documented metric with the values the deliveries made', async () => {
    await deliver(node);
    const { text, samples } = await scrape(node);
    checkCommon(text, samples);
    // Live jobs per app, from the store's count: ok and bad are tombstones now.
    expect(samples.get('duetime_live_jobs{namespace="default",app_id="app"}')).toBe(1);
    expect(samples.get('duetime_live_jobs{namespace="default",app_id="away"}')).toBe(1);
    // One server, no cluster: no partition gauges.
    expect(text).not.toContain('duetime_cluster_partitions');
  });
});

describe('/metrics after real deliveries (etcd)', () => {
  let etcd: EtcdServer;
  let node: Node;
  beforeAll(async () => {
    etcd = await startEtcd();
    node = await startNode({ store: etcd.storeUrl, partitions: 16, deliveryTimeout: '10s' });
  });
  afterAll(async () => {
    await node?.close();
    await etcd?.stop();
  });

  it('has the same metrics, the partition gauges, and no live-job gauge (etcd keeps no count)', async () => {
    await deliver(node);
    const { text, samples } = await scrape(node);
    checkCommon(text, samples);
    expect(samples.get('duetime_cluster_partitions')).toBe(16);
    expect(samples.get('duetime_cluster_partitions_owned')).toBe(16);
    expect(samples.get('duetime_cluster_partitions_unowned')).toBe(0);
    expect(text).not.toContain('duetime_live_jobs');
  });
});
