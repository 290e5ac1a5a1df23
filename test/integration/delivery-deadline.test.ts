// --delivery-timeout is a deadline on one attempt, from dispatch to the last byte, the wait for a
// pooled connection included (issue 8, item 7). Real apps that hold a delivery open (a trickling
// node:http app, a TCP server that never answers, a WatchJobs consumer that never acks) get each
// attempt failed at the deadline, their connection closed, and the retry the failure policy says.
// Bounds: 1 s deadline, 3 s slack for a loaded 2-core machine. (The deadline is short so the file
// runs quickly; the trickle's 500 ms bytes still fall within it, and the slack is unchanged.)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DuetimeConfig } from '../../src/config/config.js';
import type { TickOutcome } from '../../src/core/model/job.js';
import { daprSchedulerClient, WatchConsumer } from './grpc/helpers.js';
import { startSilentApp, startTricklingApp, type SlowApp } from './slow-app.js';
import { startNode, type Node } from './support.js';

const DEADLINE_MS = 1_000;
const SLACK_MS = 3_000;
/** The deadline timer may fire a hair early against Date.now() read elsewhere. */
const EARLY_MS = 100;

interface Attempt {
  name: string;
  attempt: number;
  outcome: TickOutcome;
  detail?: string;
  startedAt: number;
  finishedAt: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function node(config: Partial<DuetimeConfig>): Promise<Node> {
  const n = await startNode({ deliveryTimeout: `${DEADLINE_MS}ms`, ...config });
  cleanups.push(() => n.close());
  return n;
}

async function app(start: () => Promise<SlowApp>): Promise<SlowApp> {
  const a = await start();
  cleanups.push(() => a.stop());
  return a;
}

/** Every attempt of the node's engine, as it finishes; waitFor polls a predicate with a bound. */
function recordAttempts(n: Node): { all: Attempt[]; of(name: string): Attempt[]; waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> } {
  const all: Attempt[] = [];
  n.duetime.engine.events.on('attempted', ({ trigger, outcome, detail, startedAt, finishedAt }) => {
    all.push({ name: trigger.key.name, attempt: trigger.attempt, outcome, startedAt, finishedAt, ...(detail !== undefined ? { detail } : {}) });
  });
  return {
    all,
    of: (name) => all.filter((a) => a.name === name),
    async waitFor(predicate, timeoutMs, what) {
      const until = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; attempts so far: ${JSON.stringify(all.slice(-5))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function expectHeldToDeadline(attempts: Attempt[]): void {
  for (const a of attempts) {
    const held = a.finishedAt - a.startedAt;
    expect(held, `attempt ${a.attempt} of ${a.name} (${a.detail}) held ${held} ms`).toBeGreaterThanOrEqual(DEADLINE_MS - EARLY_MS);
    expect(held, `attempt ${a.attempt} of ${a.name} (${a.detail}) held ${held} ms`).toBeLessThanOrEqual(DEADLINE_MS + SLACK_MS);
  }
}

/** One retry 100 ms after a failure: two attempts, failed then dropped. */
const oneRetry = { constant: { interval: '100ms', maxRetries: 1 } };

describe('the job callback (HTTP)', () => {
  it('a trickling app (headers, then a byte every 500 ms for a minute) is cut off at the deadline and retried per the policy', async () => {
    const trickle = await app(() => startTricklingApp());
    const n = await node({ appUrl: trickle.url });
    const attempts = recordAttempts(n);
    expect((await n.call('POST', '/v1.0/jobs/trickle', { dueTime: '0s', failurePolicy: oneRetry })).status).toBe(204);

    await attempts.waitFor(() => attempts.of('trickle').length === 2, 2 * (DEADLINE_MS + SLACK_MS) + 2_000, 'two attempts');
    expect(attempts.of('trickle').map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'dropped'],
    ]);
    expectHeldToDeadline(attempts.of('trickle'));
    expect(attempts.of('trickle')[0]!.detail).toMatch(/delivery timeout/);
    // The app saw both attempts, and the first one's request was actually cancelled (its
    // connection closed) by the deadline, not left trickling.
    expect(trickle.exchanges.map((e) => e.headers?.['duetime-attempt'])).toEqual(['1', '2']);
    await waitUntil(() => trickle.exchanges.every((e) => e.closedAt !== undefined), SLACK_MS, 'both requests to be closed');
    for (const e of trickle.exchanges) expect(e.closedAt! - e.arrivedAt).toBeLessThanOrEqual(DEADLINE_MS + SLACK_MS);
  });

  it('an app that accepts the connection and never answers is cut off at the deadline and retried per the policy', async () => {
    const silent = await app(startSilentApp);
    const n = await node({ appUrl: silent.url });
    const attempts = recordAttempts(n);
    expect((await n.call('POST', '/v1.0/jobs/silent', { dueTime: '0s', failurePolicy: oneRetry })).status).toBe(204);

    await attempts.waitFor(() => attempts.of('silent').length === 2, 2 * (DEADLINE_MS + SLACK_MS) + 2_000, 'two attempts');
    expect(attempts.of('silent').map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'dropped'],
    ]);
    expectHeldToDeadline(attempts.of('silent'));
    await waitUntil(() => silent.exchanges.length > 0 && silent.exchanges.every((e) => e.closedAt !== undefined), SLACK_MS, 'the connections to be closed');
  });

  it('one endpoint gets at most --connections-per-endpoint connections, and the wait for one counts toward the deadline', async () => {
    const silent = await app(startSilentApp);
    const n = await node({ appUrl: silent.url, connectionsPerEndpoint: 16 } as Partial<DuetimeConfig>);
    const attempts = recordAttempts(n);
    // Six times the connections: without the wait counted, the last would wait five deadlines.
    const jobs = 100;
    const dueTime = new Date(Date.now() + 3_000).toISOString();
    for (let i = 0; i < jobs; i += 50) {
      const batch = Array.from({ length: Math.min(50, jobs - i) }, (_, k) => n.call('POST', `/v1.0/jobs/q-${i + k}`, { dueTime, failurePolicy: { drop: {} } }));
      for (const res of await Promise.all(batch)) expect(res.status).toBe(204);
    }

    await attempts.waitFor(() => attempts.all.length === jobs, 60_000, `${jobs} attempts`);
    expect(new Set(attempts.all.map((a) => a.outcome))).toEqual(new Set(['dropped']));
    // 100 attempts over 16 connections: without the wait counted, they would take turns of a whole deadline each.
    expectHeldToDeadline(attempts.all);
    // The app shares this process's event loop with the node: a connection cut at the deadline can
    // still look open to it (its close not yet read) when the pool's next one arrives. So each
    // connection counts as open until 300 ms before the app saw it close; with a larger
    // pool, the extra connections would overlap for a whole deadline, far beyond that.
    expect(mostOpenAtOnce(silent.exchanges, 300)).toBeLessThanOrEqual(16);
  });
});

describe('service invocation', () => {
  it('an invoke target that trickles is cut off at the deadline and retried per the policy', async () => {
    const trickle = await app(() => startTricklingApp());
    const n = await node({});
    expect((await n.call('PUT', '/v1.0/apps/billing', { url: trickle.url })).status).toBe(204);
    const attempts = recordAttempts(n);
    const res = await n.call('POST', '/v1.0/jobs/invoice', { dueTime: '0s', failurePolicy: oneRetry, target: { invoke: { appId: 'billing', method: 'close' } } });
    expect(res.status).toBe(204);

    await attempts.waitFor(() => attempts.of('invoice').length === 2, 2 * (DEADLINE_MS + SLACK_MS) + 2_000, 'two attempts');
    expect(attempts.of('invoice').map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'dropped'],
    ]);
    expectHeldToDeadline(attempts.of('invoice'));
    expect(trickle.exchanges.map((e) => e.path)).toEqual(['/close', '/close']);
    await waitUntil(() => trickle.exchanges.every((e) => e.closedAt !== undefined), SLACK_MS, 'both requests to be closed');
  });
});

describe('actor reminders', () => {
  it('a reminder to a trickling host is cut off at the deadline and retried', async () => {
    const trickle = await app(() => startTricklingApp({ quickPaths: ['/dapr/config'] }));
    const n = await node({});
    expect((await n.call('PUT', '/v1.0/apps/actors', { url: trickle.url, actorTypes: ['Slow'] })).status).toBe(204);
    const attempts = recordAttempts(n);
    expect((await n.call('POST', '/v1.0/actors/Slow/a1/reminders/nag', { dueTime: '0s' })).status).toBe(204);

    // The reminder's default policy retries after 1 s; two attempts are enough to see the rule.
    await attempts.waitFor(() => attempts.all.length >= 2, 2 * (DEADLINE_MS + SLACK_MS) + 3_000, 'two attempts');
    expect(attempts.all.slice(0, 2).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
    ]);
    expectHeldToDeadline(attempts.all.slice(0, 2));
    expect((await n.call('DELETE', '/v1.0/actors/Slow/a1/reminders/nag')).status).toBe(204);
  });
});

describe('output bindings', () => {
  // The component's own call runs on to its own timeout (5 s here, beyond DEADLINE_MS + SLACK_MS, so
  // an attempt held to it fails the bound): its port takes no signal.
  it('bindings.http with a longer component timeout is still held to --delivery-timeout', async () => {
    const trickle = await app(() => startTricklingApp());
    const componentsPath = mkdtempSync(join(tmpdir(), 'duetime-deadline-'));
    cleanups.push(() => rmSync(componentsPath, { recursive: true, force: true }));
    writeFileSync(
      join(componentsPath, 'hook.yaml'),
      `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: hook
spec:
  type: bindings.http
  version: v1
  metadata:
    - name: url
      value: ${trickle.url}/hook
    - name: operationTimeout
      value: 5s
`,
    );
    const n = await node({ componentsPath });
    const attempts = recordAttempts(n);
    const res = await n.call('POST', '/v1.0/jobs/hooked', { dueTime: '0s', failurePolicy: oneRetry, data: { a: 1 }, target: { binding: { name: 'hook', operation: 'create' } } });
    expect(res.status).toBe(204);

    await attempts.waitFor(() => attempts.of('hooked').length === 2, 2 * (DEADLINE_MS + SLACK_MS) + 2_000, 'two attempts');
    expect(attempts.of('hooked').map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'dropped'],
    ]);
    expectHeldToDeadline(attempts.of('hooked'));
    // The app goes away now rather than after the node: the component's calls, which run on to their
    // own timeout, end at once and the node's stop does not wait for them.
    await trickle.stop();
  });
});

describe('stream consumers (WatchJobs)', () => {
  it('a consumer that never acks gets the trigger failed at the deadline and redelivered as the retry', async () => {
    const n = await node({});
    const client = daprSchedulerClient(n.duetime.schedulerPort);
    cleanups.push(() => client.close());
    const mute = new WatchConsumer(client, { appId: 'mute', acceptJobTypes: ['JOB_TARGET_TYPE_JOB'] });
    cleanups.push(() => mute.kill());
    await mute.connected();
    mute.answer = () => 'none';
    const attempts = recordAttempts(n);
    expect((await n.call('POST', '/v1.0/jobs/unacked', { dueTime: '0s', failurePolicy: oneRetry }, { 'dapr-app-id': 'mute' })).status).toBe(204);

    await attempts.waitFor(() => attempts.of('unacked').length === 2, 2 * (DEADLINE_MS + SLACK_MS) + 2_000, 'two attempts');
    expect(attempts.of('unacked').map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'failed'],
      [2, 'dropped'],
    ]);
    expectHeldToDeadline(attempts.of('unacked'));
    // The retry went to the consumer as a new trigger on the stream.
    const [first, second] = mute.forJob('unacked');
    expect(second).toBeDefined();
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(DEADLINE_MS - EARLY_MS);
    expect(second!.receivedAt - first!.receivedAt).toBeLessThanOrEqual(DEADLINE_MS + SLACK_MS);
    expect(n.receiver.received).toHaveLength(0);
  });
});

/** The most exchanges open at one instant, each taken as closed closeLagMs before the app saw it close. */
function mostOpenAtOnce(exchanges: Array<{ arrivedAt: number; closedAt?: number }>, closeLagMs: number): number {
  const edges: Array<[number, number]> = [];
  for (const e of exchanges) {
    const end = e.closedAt === undefined ? Infinity : Math.max(e.arrivedAt, e.closedAt - closeLagMs);
    if (end > e.arrivedAt) edges.push([e.arrivedAt, 1], [end, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // a close before an arrival at the same instant
  let open = 0;
  let most = 0;
  for (const [, delta] of edges) most = Math.max(most, (open += delta));
  return most;
}
