// Three replicas over a three-member etcd, under load: replicas are killed with -9 (and a new one
// started in each one's place), and now and then an etcd member is killed with -9 and brought back
// on its data after a few seconds. The quorum always stands: one member down at a time.

import { ClusterHarness } from '../src/testing/cluster-harness.js';
import { startEtcdCluster } from '../src/testing/servers/etcd.js';
import { Ledger } from './ledger.js';
import { runLoad } from './load.js';
import { drain, firstDeliveryLateness, jitter, sleep, type ScenarioResult } from './scenario.js';

export interface ClusterOptions {
  /** Fault cycles; every third kills an etcd member instead of a replica. */
  cycles: number;
  maxMs: number;
  concurrency: number;
}

export async function clusterChaos(options: ClusterOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const etcd = await startEtcdCluster(3, { stopSignal: 'SIGKILL' });
  const harness = new ClusterHarness({ store: etcd.storeUrl, leaseTtl: '3s', replicas: 3 });
  const notes: string[] = [];
  const faults = { 'replica kill -9': 0, 'etcd member kill -9': 0 };
  let requests = 0;
  const ledger = new Ledger();
  try {
    await harness.start();
    let next = 0;
    const target = (): string | undefined => {
      const live = harness.live();
      return live.length ? live[next++ % live.length]!.url : undefined;
    };
    let faulting = true;
    const load = runLoad({ target, ledger, concurrency: options.concurrency, keepGoing: () => faulting, prefix: 'cluster-' });
    try {
      for (let cycle = 0; cycle < options.cycles && Date.now() - started < options.maxMs; cycle++) {
        await jitter(3_000, 6_000);
        if (cycle % 3 === 2) {
          const member = etcd.members[Math.floor(Math.random() * etcd.members.length)]!;
          await member.down();
          faults['etcd member kill -9']++;
          await sleep(3_000);
          await member.up();
        } else {
          const live = harness.live();
          const victim = live[Math.floor(Math.random() * live.length)]!;
          await harness.kill(victim);
          faults['replica kill -9']++;
          try {
            await harness.addReplica();
          } catch (error) {
            notes.push(`a replacement replica failed to start: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
          }
        }
      }
    } finally {
      faulting = false;
      requests = await load;
    }
    const deliveries = () => harness.deliveries();
    await drain(ledger, deliveries, 90_000);
    const all = deliveries();
    return {
      name: '3 replicas over a 3-member etcd, replicas and etcd members killed with -9',
      faults,
      durationMs: Date.now() - started,
      requests,
      verdict: ledger.verdict(all),
      lateness: firstDeliveryLateness(ledger, all),
      notes,
    };
  } finally {
    await harness.stop();
    await etcd.stop();
  }
}
