// Shared by the "stopped mid-test" target tests: jobs scheduled while the broker (or store) is
// up, the server stopped before they fall due, their attempts failing and /readyz naming the
// component until the server is back on the same port with the same data, then each job done on
// a retry. What the reader on the far side sees is each test's own business.

import { expect } from 'vitest';
import type { LoopbackServer } from '../../../src/testing/servers/index.js';
import type { SharedServer } from '../shared-server.js';
import { dueIn, recordAttempts, waitForReadyz, type Attempt, type TargetNode } from './helpers.js';

export interface OutageJobSpec {
  name: string;
  data: unknown;
  /** The job's target, e.g. { pubsub: { name, topic } } or { state: { store, key } }. */
  target: unknown;
}

export interface OutageJob extends OutageJobSpec {
  dueAt: number;
  /** The id every attempt of the tick carried (the CloudEvent id, the message id). */
  triggerId: string;
  /** Every attempt, the successful one last. */
  attempts: Attempt[];
  success: Attempt;
}

export interface OutageOptions {
  /** The component's name, as in its /readyz check `component:{name}`. */
  component: string;
  /** Its type, e.g. pubsub.nats: /readyz says "{type} unavailable". */
  type: string;
  jobs: OutageJobSpec[];
  /** The first job falls due this long after it is scheduled; must outlast stopping the server. */
  firstDueInMs: number;
  /** Retries allowed 500 ms apart; enough to outlast the server's restart on a loaded machine. */
  maxRetries: number;
  /** How long to wait for every job to succeed once the server is started again. */
  recoverTimeoutMs?: number;
}

/** Jobs fall due this far apart, so their retries interleave instead of moving in lockstep. */
const DUE_STEP_MS = 250;

/**
 * Schedules the jobs, stops the server before the first is due, checks the attempts fail and
 * /readyz says so, starts the server again and waits until every job succeeded on a retry and
 * /readyz is green. Resolves with each job's attempts for the caller to check the far side.
 */
export async function deliverAcrossOutage(node: TargetNode, server: LoopbackServer | SharedServer, options: OutageOptions): Promise<OutageJob[]> {
  const scheduled = [];
  for (const [i, spec] of options.jobs.entries()) {
    const recorder = recordAttempts(node, spec.name);
    const { dueTime, dueAt } = dueIn(options.firstDueInMs + i * DUE_STEP_MS);
    const res = await node.call('POST', `/v1.0/jobs/${spec.name}`, {
      dueTime,
      data: spec.data,
      target: spec.target,
      failurePolicy: { constant: { interval: '500ms', maxRetries: options.maxRetries } },
    });
    expect(res.status, res.text).toBe(204);
    scheduled.push({ spec, recorder, dueAt });
  }

  await server.down();
  const firstDue = Math.min(...scheduled.map((s) => s.dueAt));
  // Otherwise the test would not be about an outage: raise firstDueInMs if this ever fires.
  expect(Date.now(), `${server.url} took longer to stop than the first job took to fall due`).toBeLessThan(firstDue);
  expect(scheduled.flatMap((s) => s.recorder.attempts)).toEqual([]);

  const check = `component:${options.component}`;
  const down = await waitForReadyz(node, (status, body) => status === 503 && body.checks[check]?.ok === false);
  expect(down.body.ready).toBe(false);
  expect(down.body.checks[check]?.detail).toMatch(new RegExp(`^${options.type.replace('.', '\\.')} unavailable`));

  for (const { spec, recorder } of scheduled) {
    await recorder.waitFor((all) => all.length >= 2, 30_000, 'two failed attempts');
    expect(recorder.attempts.map((a) => a.outcome), `attempts of ${spec.name} while the server is down`).toEqual(recorder.attempts.map(() => 'failed'));
  }

  await server.up();
  const jobs: OutageJob[] = [];
  for (const { spec, recorder, dueAt } of scheduled) {
    await recorder.waitFor((all) => all.some((a) => a.outcome !== 'failed'), options.recoverTimeoutMs ?? 60_000, 'a successful retry');
    const attempts = recorder.attempts;
    const success = attempts.find((a) => a.outcome !== 'failed')!;
    expect(success.outcome, `${spec.name}: ${success.detail}`).toBe('success');
    expect(attempts.at(-1)).toBe(success);
    expect(success.trigger.attempt).toBeGreaterThan(2);
    expect(success.trigger.scheduledAt).toBe(dueAt);
    expect(attempts[0]!.finishedAt).toBeGreaterThanOrEqual(dueAt);
    // Every attempt of the tick carries the same id, so a reader can drop duplicates.
    expect(new Set(attempts.map((a) => a.trigger.triggerId)).size).toBe(1);
    jobs.push({ ...spec, dueAt, triggerId: success.trigger.triggerId, attempts, success });
  }
  const up = await waitForReadyz(node, (status) => status === 200);
  expect(up.body.checks[check]).toEqual({ ok: true, detail: options.type });
  // One-shot jobs are completed once done (a tombstone, for --tombstone-ttl).
  for (const job of jobs) await expect.poll(async () => (await node.call('GET', `/v1.0/jobs/${job.name}`)).body?.status?.state).toBe('completed');
  return jobs;
}

/**
 * Failed attempts that timed out waiting for the broker's acknowledgement: each may still have
 * reached the broker, so an at-least-once component may deliver that many extra copies.
 */
export function timedOutAttempts(job: OutageJob): number {
  return job.attempts.filter((a) => a.outcome === 'failed' && /timed out/.test(a.detail ?? '')).length;
}
