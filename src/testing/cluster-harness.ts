// A real cluster for tests and benchmarks: one etcd (Debian's etcd-server, on free loopback
// ports), any number of `duetime serve --store etcd://...` replicas as child processes (so a test
// can kill -9 one), and one recording app. Each replica delivers to its own path of the app
// (/replica-N/job/{name}), so the ledger shows which replica fired every tick.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { partitionOf } from '../core/model/partition.js';
import { BUILT_CLI, builtCliEnv } from './built-cli.js';
import { RecordingReceiver, type Received } from './recording-receiver.js';
import { startEtcd, type EtcdServer } from './servers/etcd.js';
import { freePort } from './servers/free-port.js';
import { ManagedProcess } from './servers/managed-process.js';
import { waitUntil } from './servers/probe.js';
import { makeTempDir } from './servers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ClusterHarnessOptions {
  /** Replicas started at once. @defaultValue 3 */
  replicas?: number;
  /** --lease-ttl of every replica. @defaultValue '5s' */
  leaseTtl?: string;
  /** --partitions. @defaultValue 256 */
  partitions?: number;
  /** Extra flags for every replica. */
  args?: string[];
  /**
   * Where the replicas deliver instead of the harness's recording app: each to
   * `${appUrl}/replica-N/job/{name}`. The bench points them at a lean receiver in its own process
   * (the recording app keeps every request's headers and body in the caller's heap). Then
   * deliveries() and waitFor() see nothing.
   */
  appUrl?: string;
  /** The app's answer. @defaultValue 200 at once */
  respond?: RecordingReceiver['respond'];
  /** An etcd the caller runs (e.g. a 3-member cluster); without it the harness starts one of its own. */
  store?: string;
  /** Node flags before the script, e.g. --cpu-prof (the bench profiles replicas with it). */
  nodeArgs?: string[];
  /**
   * The built entry point to run (bin/duetime.js, as a user does; `npm run build` first). The bench
   * passes the build, or another copy of it for an A/B comparison.
   * @defaultValue dist/cli/main.js (integration tests rebuild it when stale: src/testing/built-cli.ts)
   */
  bin?: string;
}

export interface Replica {
  /** replica-1, replica-2, ... in start order. */
  name: string;
  url: string;
  /** `duetime serve` in its own process group, its output in a log file; killed if the test process dies. */
  process: ManagedProcess;
  /** The member id it registered under. */
  memberId: string;
  /** host:port of its scheduler API (WatchJobs, WatchHosts), as it announces itself. */
  schedulerAddress: string;
  alive: boolean;
  /** When it answered /readyz the first time. */
  readyAt: number;
}

/** One delivery as the app saw it. */
export interface Delivery {
  replica: string;
  job: string;
  scheduledAt: number;
  receivedAt: number;
  /** duetime-attempt: 2 and up are retries of a failed attempt. */
  attempt: number;
}

export interface ClusterStatusBody {
  mode: string;
  self: string;
  partitionCount: number;
  unowned: number;
  members: Array<{ id: string; url?: string; schedulerAddress?: string; partitions: number[]; self: boolean }>;
  health: { registered: boolean; watching: boolean; error?: string };
}

export class ClusterHarness {
  readonly replicas: Replica[] = [];
  readonly receiver = new RecordingReceiver();
  etcd!: EtcdServer;
  private counter = 0;
  private readonly parsed: Delivery[] = [];
  private parsedUpTo = 0;
  private readonly logs = makeTempDir('cluster-logs');
  private readonly options: Required<Omit<ClusterHarnessOptions, 'respond' | 'store' | 'bin' | 'appUrl'>> & Pick<ClusterHarnessOptions, 'respond' | 'store' | 'bin' | 'appUrl'>;

  constructor(options: ClusterHarnessOptions = {}) {
    this.options = { replicas: 3, leaseTtl: '5s', partitions: 256, args: [], nodeArgs: [], ...options };
  }

  async start(): Promise<this> {
    if (this.options.store === undefined) this.etcd = await startEtcd();
    await this.receiver.start();
    if (this.options.respond) this.receiver.respond = this.options.respond;
    // One at a time: on two cores, parallel start-ups only make each slower.
    for (let i = 0; i < this.options.replicas; i++) await this.addReplica();
    return this;
  }

  /**
   * Starts one more replica and waits until it answers /readyz (registered, watching). `store`:
   * its own store setting instead of the cluster's (say, etcd through a proxy a test can cut).
   */
  async addReplica(options: { store?: string } = {}): Promise<Replica> {
    const name = `replica-${++this.counter}`;
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const process = new ManagedProcess({
      command: globalThis.process.execPath,
      // prettier-ignore
      args: [
        ...this.options.nodeArgs,
        this.options.bin ?? BUILT_CLI, 'serve',
        '--port', String(port), '--grpc-port', '0', '--scheduler-port', '0',
        '--store', options.store ?? this.options.store ?? this.etcd.storeUrl,
        '--lease-ttl', this.options.leaseTtl,
        '--partitions', String(this.options.partitions),
        '--app-url', `${this.options.appUrl ?? this.receiver.url}/${name}`,
        ...this.options.args,
      ],
      cwd: ROOT,
      env: builtCliEnv(),
      logFile: join(this.logs.path, `${name}.log`),
    });
    try {
      await waitUntil(`${name} ready`, async () => (await fetch(`${url}/readyz`)).ok, { timeoutMs: 90_000, intervalMs: 100, abort: () => process.exitReason() });
    } catch (error) {
      await process.stop('SIGKILL', 1_000);
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- ${name} log ---\n${process.logTail()}`);
    }
    const status = await this.status(url);
    const schedulerAddress = status.members.find((m) => m.self)?.schedulerAddress ?? '';
    const replica: Replica = { name, url, process, memberId: status.self, schedulerAddress, alive: true, readyAt: Date.now() };
    this.replicas.push(replica);
    return replica;
  }

  live(): Replica[] {
    return this.replicas.filter((r) => r.alive);
  }

  /** kill -9: no hand-over, its lease expires on its own. */
  async kill(replica: Replica): Promise<void> {
    replica.alive = false;
    await replica.process.stop('SIGKILL', 1_000);
  }

  /** SIGTERM: a graceful stop that hands its partitions over. */
  async stopReplica(replica: Replica): Promise<void> {
    replica.alive = false;
    await replica.process.stop('SIGTERM', 30_000);
  }

  /** The replica's log lines (pino JSON) that parse, for timelines in test output. */
  logLines(replica: Replica): Array<Record<string, unknown> & { time: number; msg: string }> {
    return replica.process
      .logTail(10_000_000)
      .split('\n')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown> & { time: number; msg: string }];
        } catch {
          return [];
        }
      });
  }

  async status(url = this.live()[0]!.url): Promise<ClusterStatusBody> {
    const response = await fetch(`${url}/v1.0/cluster`);
    if (!response.ok) throw new Error(`GET ${url}/v1.0/cluster: ${response.status} ${await response.text()}`);
    return (await response.json()) as ClusterStatusBody;
  }

  /** partition -> replica name, from the cluster's view. */
  async owners(): Promise<Map<number, string>> {
    const status = await this.status();
    const byMember = new Map(this.replicas.map((r) => [r.memberId, r.name]));
    const owners = new Map<number, string>();
    for (const m of status.members) for (const p of m.partitions) owners.set(p, byMember.get(m.id) ?? m.id);
    return owners;
  }

  /** Polls the cluster view until every partition is owned and the live replicas' shares are even. */
  async waitBalanced(timeoutMs = 60_000): Promise<ClusterStatusBody> {
    const deadline = Date.now() + timeoutMs;
    let last: ClusterStatusBody | undefined;
    while (Date.now() < deadline) {
      try {
        last = await this.status();
        const live = new Set(this.live().map((r) => r.memberId));
        const counts = last.members.filter((m) => live.has(m.id)).map((m) => m.partitions.length);
        const even = Math.ceil(last.partitionCount / live.size);
        const balanced =
          last.unowned === 0 &&
          last.members.length === live.size &&
          counts.length === live.size &&
          counts.every((c) => c >= even - 2 && c <= even);
        if (balanced) return last;
      } catch {
        // a replica restarting: ask again
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`the cluster did not balance within ${timeoutMs} ms; last view: ${JSON.stringify(last?.members.map((m) => [m.id, m.partitions.length]))} unowned ${last?.unowned}`);
  }

  /** Schedules a job through a replica (any replica serves the whole API). */
  async schedule(name: string, body: Record<string, unknown>, via: Replica = this.live()[0]!): Promise<void> {
    const response = await fetch(`${via.url}/v1.0-alpha1/jobs/${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 204 && response.status !== 200) throw new Error(`schedule ${name} via ${via.name}: ${response.status} ${await response.text()}`);
  }

  /**
   * Schedules `count` jobs named `<prefix>000...` on `@every 1s` with `ticks` repeats, first ticks
   * staggered over 1 s from 3 s ahead, spread round-robin over the live replicas. Returns the names.
   */
  async scheduleRecurring(prefix: string, count: number, ticks: number): Promise<string[]> {
    const names = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
    const start = Date.now() + 3_000;
    const live = this.live();
    await Promise.all(
      names.map((name, i) => this.schedule(name, { dueTime: new Date(start + (i % 10) * 100).toISOString(), schedule: '@every 1s', repeats: ticks }, live[i % live.length])),
    );
    return names;
  }

  partitionOfJob(name: string, appId = 'default', namespace = 'default'): number {
    return partitionOf({ namespace, appId, name }, this.options.partitions);
  }

  /** Every delivery so far, parsed from the app's paths (incrementally: waitFor calls this per request). */
  deliveries(): Delivery[] {
    const received = this.receiver.received;
    for (; this.parsedUpTo < received.length; this.parsedUpTo++) {
      const r: Received = received[this.parsedUpTo]!;
      const match = /^\/(replica-\d+)\/job\/(.+)$/.exec(r.path);
      if (!match || r.scheduledAt === undefined) continue;
      const attempt = Number(r.headers['duetime-attempt'] ?? 1);
      this.parsed.push({ replica: match[1]!, job: decodeURIComponent(match[2]!), scheduledAt: r.scheduledAt, receivedAt: r.receivedAt, attempt });
    }
    return [...this.parsed];
  }

  /** Waits (bounded) until the predicate over the deliveries holds; checked on every delivery. */
  waitFor(predicate: (deliveries: Delivery[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.receiver.waitFor(() => predicate(this.deliveries()), timeoutMs, what);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.replicas.filter((r) => r.alive).map((r) => this.stopReplica(r)));
    await this.receiver.stop();
    await this.etcd?.stop();
    this.logs.remove();
  }
}

/** Ticks delivered more than once: job -> scheduled instants seen twice or more, with who fired them (and which attempt). */
export function duplicates(deliveries: Delivery[]): Array<{ job: string; scheduledAt: number; replicas: string[] }> {
  const seen = new Map<string, Delivery[]>();
  for (const d of deliveries) {
    const k = `${d.job}@${d.scheduledAt}`;
    const list = seen.get(k);
    if (list) list.push(d);
    else seen.set(k, [d]);
  }
  return [...seen.values()].filter((list) => list.length > 1).map((list) => ({ job: list[0]!.job, scheduledAt: list[0]!.scheduledAt, replicas: list.map((d) => `${d.replica}#${d.attempt}@${d.receivedAt}`) }));
}
