// A cluster's partition count is fixed when its first replica starts: a job's due-index entry
// lives under its partition, so replicas that counted differently would lose jobs. The first
// replica writes the count; every later one checks it.

import type { EtcdClient } from './etcd-client.js';
import type { KeyLayout } from './key-layout.js';
import { createRevisionIs, firstKv, get, put } from './txn-ops.js';

export async function checkPartitionCountInEtcd(client: EtcdClient, layout: KeyLayout, count: number): Promise<void> {
  const response = await client.txn({
    compare: [createRevisionIs(layout.partitionsKey, 0)],
    success: [put(layout.partitionsKey, Buffer.from(String(count)))],
    failure: [get(layout.partitionsKey)],
  });
  if (response.succeeded) return;
  const stored = Number(firstKv(response.responses[0])?.value.toString());
  if (stored !== count) {
    throw new Error(
      `the cluster under ${layout.prefix} was created with ${stored} partitions, but this replica is configured for ${count}; start it with --partitions ${stored}`,
    );
  }
}
