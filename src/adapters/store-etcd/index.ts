// The etcd store and cluster coordination, opened together: one client, one key layout, one
// partition fence shared by the store (which reads it) and the cluster (which keeps it).

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { checkPartitionCount } from '../../core/model/partition.js';
import { EtcdAppRegistrations } from './etcd-app-registrations.js';
import { EtcdClient, EtcdError } from './etcd-client.js';
import { EtcdCluster, type ClusterLog } from './etcd-cluster.js';
import { parseEtcdUrl } from './etcd-url.js';
import { EtcdJobStore } from './etcd-job-store.js';
import { KeyLayout } from './key-layout.js';
import { checkPartitionCountInEtcd } from './partition-count-check.js';
import { PartitionFence } from './partition-fence.js';

export { EtcdAppRegistrations } from './etcd-app-registrations.js';
export { EtcdClient, EtcdError } from './etcd-client.js';
export { EtcdCluster } from './etcd-cluster.js';
export { EtcdJobStore } from './etcd-job-store.js';
export { isEtcdUrl, parseEtcdUrl } from './etcd-url.js';
export { KeyLayout } from './key-layout.js';
export { PartitionFence } from './partition-fence.js';

export interface OpenEtcdOptions {
  /** etcd://host:port[,host:port][/prefix] */
  url: string;
  partitionCount: number;
  historyLimit: number;
  leaseTtlSeconds: number;
  /** The engine's look-ahead (ms): the job watch leaves jobs created elsewhere due later than this to refills. */
  lookaheadMs?: number;
  /** A fresh id per process unless given. */
  memberId?: string;
  log?: ClusterLog;
  /** The store's clock, for how old an app's job count is (app-job-counts.ts). @defaultValue systemClock */
  clock?: Clock;
}

/**
 * Connects, checks the cluster's partition count, and returns the store, the cluster side and
 * the app registrations (keys under the same prefix, on the same client).
 * An unreachable etcd is waited for (retried with backoff, logged), not a reason to exit.
 */
export async function openEtcdCluster(options: OpenEtcdOptions): Promise<{ store: EtcdJobStore; cluster: EtcdCluster; registrations: EtcdAppRegistrations }> {
  checkPartitionCount(options.partitionCount);
  const { endpoints, prefix } = parseEtcdUrl(options.url);
  const client = new EtcdClient(endpoints);
  try {
    const layout = new KeyLayout(prefix);
    for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        await checkPartitionCountInEtcd(client, layout, options.partitionCount);
        break;
      } catch (error) {
        if (!(error instanceof EtcdError && error.unavailable)) throw error;
        options.log?.warn({ err: error, endpoints, retryInMs: delay }, 'etcd is unreachable; waiting for it');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    const fence = new PartitionFence(options.partitionCount);
    const store = new EtcdJobStore({ client, layout, partitionCount: options.partitionCount, historyLimit: options.historyLimit, fence, ownsClient: true, ...(options.clock ? { clock: options.clock } : {}) });
    const cluster = new EtcdCluster({
      client,
      layout,
      fence,
      store,
      memberId: options.memberId ?? randomUUID(),
      leaseTtlSeconds: options.leaseTtlSeconds,
      ...(options.lookaheadMs !== undefined ? { watchHorizonMs: options.lookaheadMs } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    const registrations = new EtcdAppRegistrations({
      client,
      layout,
      onWatchState: (connected, error) => {
        if (!connected && error) options.log?.warn({ err: error }, 'the app registrations watch broke; resuming');
      },
    });
    return { store, cluster, registrations };
  } catch (error) {
    client.close();
    throw error;
  }
}
