// Counts what etcd did between two readings of its own /metrics: requests by gRPC method, the
// key operations they held (puts, deletes, ranges, counted by etcd's MVCC layer, so the ones
// nested in a transaction count one by one), watch events sent to watchers (summed over every
// watcher, so with N replicas watching one range an event counts N times), WAL fsyncs, and
// etcd's own CPU. Divided by the schedules or triggers of the window, it is the per-operation
// cost the cluster bench reports.

import { parseMetrics, type Metrics } from './prometheus.js';

export interface EtcdOps {
  /** gRPC Txn requests (a batch of nested transactions is one). */
  txnRequests: number;
  /** gRPC Range requests outside transactions. */
  rangeRequests: number;
  /** Transactions as etcd's MVCC layer counts them (read-only ones included). */
  txns: number;
  puts: number;
  deletes: number;
  /** Range operations, nested ones included. */
  ranges: number;
  /** Watch events sent, summed over watchers. */
  watchEvents: number;
  /** Bytes of the values put. */
  putBytes: number;
  fsyncs: number;
  cpuSeconds: number;
}

const COUNTERS: Record<Exclude<keyof EtcdOps, 'txnRequests' | 'rangeRequests'>, string> = {
  txns: 'etcd_mvcc_txn_total',
  puts: 'etcd_mvcc_put_total',
  deletes: 'etcd_mvcc_delete_total',
  ranges: 'etcd_mvcc_range_total',
  watchEvents: 'etcd_debugging_mvcc_events_total',
  putBytes: 'etcd_debugging_mvcc_total_put_size_in_bytes',
  fsyncs: 'etcd_disk_wal_fsync_duration_seconds_count',
  cpuSeconds: 'process_cpu_seconds_total',
};

/** etcd's counters now; `etcdUrl` is its client URL (http://host:port), which serves /metrics. */
export async function readEtcdOps(etcdUrl: string): Promise<EtcdOps> {
  const response = await fetch(`${etcdUrl}/metrics`);
  if (!response.ok) throw new Error(`GET ${etcdUrl}/metrics answered ${response.status}`);
  const metrics = parseMetrics(await response.text());
  const ops = { txnRequests: handled(metrics, 'Txn'), rangeRequests: handled(metrics, 'Range') } as EtcdOps;
  for (const [field, name] of Object.entries(COUNTERS) as Array<[keyof typeof COUNTERS, string]>) ops[field] = metrics.get(name) ?? Number.NaN;
  return ops;
}

export type EtcdOpsPer = Omit<EtcdOps, 'cpuSeconds'> & { cpuMicros: number };

/** after - before, per `per` operations: counts to 3 decimals, etcd's CPU in microseconds. */
export function opsPer(before: EtcdOps, after: EtcdOps, per: number): EtcdOpsPer {
  const n = Math.max(1, per);
  const out = { cpuMicros: Math.round(((after.cpuSeconds - before.cpuSeconds) * 1e6) / n) } as EtcdOpsPer;
  for (const field of Object.keys(after) as Array<keyof EtcdOps>) {
    if (field !== 'cpuSeconds') out[field] = Math.round(((after[field] - before[field]) / n) * 1000) / 1000;
  }
  return out;
}

/** Requests etcd answered for one KV method, whatever their status. */
function handled(metrics: Metrics, method: string): number {
  let total = 0;
  for (const [series, value] of metrics) {
    if (series.startsWith('grpc_server_handled_total{') && series.includes(`grpc_method="${method}"`) && series.includes('grpc_service="etcdserverpb.KV"')) total += value;
  }
  return total;
}
