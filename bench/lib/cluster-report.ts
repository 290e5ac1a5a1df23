// Targets, verdicts and the report section of the cluster stages (bench/cluster-bench.ts): issue
// 12's two etcd rows, with what etcd did per schedule and per trigger.

import type { EtcdOpsPer } from './etcd-ops.js';
import type { BenchResults } from './results.js';
import type { Verdict } from './targets.js';

export const CLUSTER_TARGETS = {
  /** Issue 12: scheduling on one replica on etcd, over the embedded SQLite store's rate in the same rounds. */
  etcdOverSqlite: 0.6,
  /** Issue 12: 10,000 due at once on 3 replicas on etcd, drained within this. */
  burstDrainMs: 1_500,
} as const;

const n = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

export function clusterVerdicts(r: BenchResults): Verdict[] {
  const out: Verdict[] = [];
  const t = r.clusterThroughput;
  if (t) {
    out.push(
      {
        what: `etcd, 1 replica: scheduling rate over the embedded SQLite store's (wrk ${t.options.connections} connections, median of ${t.rounds.length} alternating rounds)`,
        value: `${t.ratio.toFixed(2)} (${n(t.etcdPerS)} / ${n(t.sqlitePerS)}/s; rounds ${t.rounds.map((x) => x.ratio.toFixed(2)).join(', ')})`,
        target: `>= ${CLUSTER_TARGETS.etcdOverSqlite}`,
        kind: 'target',
        ok: t.ratio >= CLUSTER_TARGETS.etcdOverSqlite,
      },
      {
        what: "etcd, 1 replica: the same by CPU per schedule, SQLite server's over replica's + etcd's (median round; the rate ratio where CPU is the limit)",
        value: t.cpuRatio.toFixed(2),
        target: `>= ${CLUSTER_TARGETS.etcdOverSqlite}`,
        kind: 'target',
        ok: t.cpuRatio >= CLUSTER_TARGETS.etcdOverSqlite,
      },
      { what: 'etcd scheduling: every response 2xx (both servers)', value: `${t.failures} not`, target: '0 not', kind: 'check', ok: t.failures === 0 },
    );
  }
  const b = r.clusterBurst;
  if (b) {
    const { jobs, replicas } = b.options;
    out.push(
      { what: `etcd, ${replicas} replicas: ${n(jobs)} due at once, drain time`, value: `${n(b.drainMs)} ms`, target: `<= ${n(CLUSTER_TARGETS.burstDrainMs)} ms`, kind: 'target', ok: b.complete && b.drainMs <= CLUSTER_TARGETS.burstDrainMs },
      { what: 'etcd burst: all delivered', value: String(b.delivered - b.duplicates), target: String(jobs), kind: 'check', ok: b.complete && b.delivered - b.duplicates >= jobs },
      { what: 'etcd burst: early / duplicate deliveries', value: `${b.early} / ${b.duplicates}`, target: '0 / 0', kind: 'check', ok: b.early === 0 && b.duplicates === 0 },
    );
  }
  return out;
}

function opsRow(what: string, o: EtcdOpsPer, replicaCpu: string): string {
  return `| ${what} | ${o.txnRequests} | ${o.puts} | ${o.deletes} | ${o.ranges} | ${o.watchEvents} | ${o.fsyncs} | ${n(o.cpuMicros)} | ${replicaCpu} |`;
}

export function renderCluster(r: BenchResults): string[] {
  const t = r.clusterThroughput;
  const b = r.clusterBurst;
  const f = r.clusterFailover;
  if (!t && !b && !f) return [];
  const out = ['## Cluster on etcd', ''];
  out.push(
    "One real etcd (Debian's etcd-server, on loopback, one member, its WAL on the project's disk) and replicas run from the build (`duetime serve --store etcd://...`, " +
      "256 partitions, quotas off), started by the cluster harness (src/testing/cluster-harness.ts); the app is bench/burst-receiver.js in its own process for the burst, the harness's recording receiver in the bench process otherwise. " +
      "etcd's operations come from its own /metrics (bench/lib/etcd-ops.ts); CPU from /proc.",
    '',
  );
  if (t) {
    out.push(`### Scheduling on one replica against the embedded SQLite store (\`${t.wrk}\`, alternating rounds)`, '');
    out.push('| round | etcd /s | SQLite /s | ratio | CPU per schedule: replica + etcd / SQLite server | CPU ratio | load |', '|---|---|---|---|---|---|---|');
    t.rounds.forEach((x, i) =>
      out.push(`| ${i + 1} | ${n(x.etcd.perS)} | ${n(x.sqlite.perS)} | ${x.ratio.toFixed(2)} | ${n(x.etcd.serverCpuMicros)} + ${n(x.etcdOpsPerSchedule.cpuMicros)} / ${n(x.sqlite.serverCpuMicros)} µs | ${x.cpuRatio.toFixed(2)} | ${x.load.toFixed(1)} |`),
    );
    out.push(
      '',
      `Median of the rounds' ratios: **${t.ratio.toFixed(2)}** of SQLite's rate (by CPU: ${t.cpuRatio.toFixed(2)}) (target >= ${CLUSTER_TARGETS.etcdOverSqlite}). The CPU ratio (SQLite server's CPU per schedule over the replica's plus etcd's) is ` +
        'what the rate ratio tends to where CPU is the limit, as on 2 cores: three processes (replica, etcd, wrk) share them against two (server, wrk).',
      '',
    );
  }
  if (b) {
    const { jobs, replicas } = b.options;
    out.push(`### ${n(jobs)} one-shot jobs due at one instant on ${replicas} replicas`, '');
    out.push(
      `After a warm-up (${n(b.options.warmupJobs)} jobs due at once, delivered), the burst was scheduled round-robin through the replicas (${b.options.concurrency} requests in flight) ` +
        `at ${n(b.schedulePerS)}/s, due ${n(b.scheduledLeadMs)} ms after the last was stored.`,
      '',
    );
    out.push('| | |', '|---|---|');
    out.push(`| drain time (last delivery - due instant) | **${n(b.drainMs)} ms** (target <= ${n(CLUSTER_TARGETS.burstDrainMs)} ms), ${n(b.triggerPerS)} triggers/s |`);
    out.push(`| lateness p50 / p99 / max | ${b.latenessMs.p50} / ${b.latenessMs.p99} / ${b.latenessMs.max} ms |`);
    out.push(`| deliveries per replica | ${Object.entries(b.deliveriesPerReplica).map(([k, v]) => `${k} ${n(v)}`).join(', ')} |`);
    out.push(`| delivered / duplicates / early | ${n(b.delivered)} / ${b.duplicates} / ${b.early} |`);
    out.push(
      `| CPU per trigger: replicas (each over all ${n(jobs)}) + etcd = cluster | ${b.replicaCpuMicrosPerTrigger.map(n).join(' + ')} + ${n(b.etcdOpsPerTrigger.cpuMicros)} = **${n(b.clusterCpuMicrosPerTrigger)} µs** |`,
    );
    out.push(`| drain if CPU were the only limit (${n(jobs)} x cluster CPU / ${r.machine.cores} cores) | ${n(b.cpuBoundDrainMs)} ms |`);
    out.push(`| CPU per trigger of the receiving app (bench/burst-receiver.js, its own process), on the same cores | ${n(b.receiverCpuMicrosPerTrigger)} µs |`);
    out.push(`| deliveries per 250 ms after the due instant, by replica | ${Object.entries(b.timeline).map(([k, v]) => `${k} ${v.join(' ')}`).join('; ')} |`);
    out.push('');
  }
  if (t || b) {
    out.push('etcd operations (per schedule or trigger; ranges include compares; watch events summed over the replicas watching):', '');
    out.push('| per ... | Txn requests | puts | deletes | ranges | watch events | fsyncs | etcd CPU µs | replica CPU µs |', '|---|---|---|---|---|---|---|---|---|');
    if (t) out.push(opsRow('schedule, 1 replica (wrk, median round)', t.etcdOpsPerSchedule, n(t.rounds.find((x) => x.ratio === t.ratio)?.etcd.serverCpuMicros ?? Number.NaN)));
    if (b) {
      out.push(opsRow(`schedule, ${b.options.replicas} replicas (burst)`, b.etcdOpsPerSchedule, b.replicaCpuMicrosPerSchedule.map(n).join(' + ')));
      out.push(opsRow(`trigger, ${b.options.replicas} replicas (burst)`, b.etcdOpsPerTrigger, b.replicaCpuMicrosPerTrigger.map(n).join(' + ')));
    }
    out.push('');
  }
  if (f) {
    const ms = f.firstDeliveryElsewhereMs;
    out.push(
      `Failover (${f.replicas} replicas, lease TTL ${n(f.leaseTtlMs)} ms, 150 jobs on a 1 s schedule, one replica killed with SIGKILL holding ${f.victimJobs} of them): ` +
        `each of its jobs first delivered by a survivor ${n(ms.min)} to ${n(ms.max)} ms after the kill (p50 ${n(ms.p50)} ms); shares after: [${f.sharesAfter.join(', ')}]; ${f.duplicates} ticks delivered twice.`,
      '',
    );
  }
  return out;
}

/** Rows for the latest block of docs/benchmarks.md. */
export function clusterLatestRows(r: BenchResults): string[] {
  const out: string[] = [];
  const t = r.clusterThroughput;
  if (t) {
    const m = t.rounds.find((x) => x.ratio === t.ratio);
    if (m) out.push(`| etcd scheduling CPU per schedule: replica + etcd / SQLite server (median round) | ${n(m.etcd.serverCpuMicros)} + ${n(m.etcdOpsPerSchedule.cpuMicros)} / ${n(m.sqlite.serverCpuMicros)} µs | | |`);
  }
  const b = r.clusterBurst;
  if (b) out.push(`| etcd burst CPU per trigger: ${b.options.replicas} replicas + etcd | ${b.replicaCpuMicrosPerTrigger.map(n).join(' + ')} + ${n(b.etcdOpsPerTrigger.cpuMicros)} = ${n(b.clusterCpuMicrosPerTrigger)} µs | | |`);
  return out;
}
