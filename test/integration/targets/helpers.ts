// Shared set-up of the target tests: a real node whose components folder holds the given YAML,
// and waits on the engine's events instead of sleeping.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuetimeConfig } from '../../../src/config/config.js';
import type { TickOutcome } from '../../../src/core/model/job.js';
import type { Trigger } from '../../../src/core/model/trigger.js';
import { startNode, type Node } from '../support.js';

export interface TargetNode extends Node {
  componentsPath: string;
}

/** Writes `yaml` to components.yaml in a fresh folder and starts a node reading it. */
export async function startTargetNode(yaml: string, config: Partial<DuetimeConfig> = {}): Promise<TargetNode> {
  const componentsPath = writeComponents(yaml);
  const node = await startNode({ componentsPath, ...config });
  return {
    ...node,
    componentsPath,
    async close() {
      await node.close();
      rmSync(componentsPath, { recursive: true, force: true });
    },
  };
}

export function writeComponents(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'duetime-targets-'));
  writeFileSync(join(dir, 'components.yaml'), yaml);
  return dir;
}

export interface Attempt {
  trigger: Trigger;
  outcome: TickOutcome;
  detail?: string;
  finishedAt: number;
}

/** Every attempt the node's engine makes for job `name`, recorded from now on. */
export function recordAttempts(node: Node, name: string): { attempts: Attempt[]; waitFor(predicate: (all: Attempt[]) => boolean, timeoutMs?: number, what?: string): Promise<void> } {
  const attempts: Attempt[] = [];
  let wake: (() => void) | undefined;
  node.duetime.engine.events.on('attempted', ({ trigger, outcome, detail, finishedAt }) => {
    if (trigger.key.name !== name) return;
    attempts.push({ trigger, outcome, finishedAt, ...(detail !== undefined ? { detail } : {}) });
    wake?.();
  });
  return {
    attempts,
    waitFor(predicate, timeoutMs = 30_000, what = 'attempts') {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          wake = undefined;
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} of job ${name}; got ${JSON.stringify(attempts.map((a) => [a.outcome, a.detail]))}`));
        }, timeoutMs);
        const check = (): void => {
          if (!predicate(attempts)) return;
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        wake = check;
        check();
      });
    },
  };
}

/** An RFC3339 instant `ms` from now, whole milliseconds, and its value. */
export function dueIn(ms: number): { dueTime: string; dueAt: number } {
  const dueAt = Date.now() + ms;
  return { dueTime: new Date(dueAt).toISOString(), dueAt };
}

export interface ReadyzBody {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string } | undefined>;
}

/** Polls /readyz until `check` holds on its body, bounded. */
export async function waitForReadyz(node: Node, check: (status: number, body: ReadyzBody) => boolean, timeoutMs = 20_000): Promise<{ status: number; body: ReadyzBody }> {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: ReadyzBody } = { status: 0, body: { ready: false, checks: {} } };
  while (Date.now() < deadline) {
    const res = await node.call('GET', '/readyz');
    last = { status: res.status, body: res.body as ReadyzBody };
    if (check(last.status, last.body)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for /readyz; last: ${last.status} ${JSON.stringify(last.body)}`);
}

/**
 * Schedules job `name` to publish `data` to pubsub/topic `dueInMs` from now; resolves with the
 * due instant and the attempt that succeeded (its trigger id is the CloudEvent's id).
 */
export async function schedulePubsubJob(
  node: Node,
  name: string,
  target: { name: string; topic: string; metadata?: Record<string, string> },
  data: unknown,
  dueInMs: number,
): Promise<{ dueAt: number; delivered: Promise<Attempt> }> {
  const attempts = recordAttempts(node, name);
  const { dueTime, dueAt } = dueIn(dueInMs);
  const res = await node.call('POST', `/v1.0/jobs/${name}`, { dueTime, data, target: { pubsub: target } });
  if (res.status !== 204) throw new Error(`scheduling ${name}: ${res.status} ${res.text}`);
  const delivered = attempts
    .waitFor((all) => all.some((a) => a.outcome !== 'failed'), 30_000, 'a delivery')
    .then(() => attempts.attempts.find((a) => a.outcome !== 'failed')!);
  return { dueAt, delivered };
}
