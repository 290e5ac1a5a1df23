// One node on its embedded SQLite store, killed with -9 under load and restarted on the same data
// directory, again and again. The app is a real HTTP receiver.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnDuetime, type DuetimeProcess } from '../src/testing/duetime-process.js';
import { RecordingReceiver } from '../src/testing/recording-receiver.js';
import { Ledger, type Delivery } from './ledger.js';
import { runLoad } from './load.js';
import { drain, firstDeliveryLateness, jitter, type ScenarioResult } from './scenario.js';

export interface SingleNodeOptions {
  kills: number;
  /** The faults stop after this long even if fewer kills happened. */
  maxMs: number;
  concurrency: number;
}

const RESTART_TRIES = 3;

export async function singleNodeChaos(options: SingleNodeOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const receiver = await new RecordingReceiver().start();
  const dataDir = mkdtempSync(join(tmpdir(), 'duetime-chaos-'));
  const args = ['--data-dir', dataDir, '--app-id', 'app', '--app-url', receiver.url, '--log-level', 'info'];
  const notes: string[] = [];
  let server: DuetimeProcess | undefined = await spawnDuetime(args, {}, 60_000);
  const ledger = new Ledger();
  let faulting = true;
  const load = runLoad({ target: () => server?.url, ledger, concurrency: options.concurrency, keepGoing: () => faulting, prefix: 'single-' });
  let kills = 0;
  let requests = 0;
  try {
    while (kills < options.kills && Date.now() - started < options.maxMs) {
      await jitter(1_500, 4_500);
      const victim = server!;
      server = undefined;
      await victim.kill('SIGKILL');
      kills++;
      server = await restart(args, notes);
    }
  } finally {
    faulting = false;
    requests = await load;
  }
  const deliveries = (): Delivery[] =>
    receiver.received.flatMap((r) => {
      const match = /^\/job\/(.+)$/.exec(r.path);
      return match && r.scheduledAt !== undefined ? [{ job: decodeURIComponent(match[1]!), scheduledAt: r.scheduledAt, receivedAt: r.receivedAt }] : [];
    });
  await drain(ledger, deliveries, 60_000);
  const all = deliveries();
  const result: ScenarioResult = {
    name: 'single node (SQLite), kill -9 and restart',
    faults: { 'node kill -9': kills },
    durationMs: Date.now() - started,
    requests,
    verdict: ledger.verdict(all),
    lateness: firstDeliveryLateness(ledger, all),
    notes,
  };
  await server?.kill('SIGTERM');
  await receiver.stop();
  rmSync(dataDir, { recursive: true, force: true });
  return result;
}

/** Starts the node again on the same data; a start that fails is tried again and noted. */
async function restart(args: string[], notes: string[]): Promise<DuetimeProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnDuetime(args, {}, 60_000);
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 3).join(' ');
      notes.push(`restart attempt ${attempt} failed: ${reason}`);
      if (attempt >= RESTART_TRIES) throw error;
    }
  }
}
