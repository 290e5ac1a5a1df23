import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { startLoopbackServer, type LoopbackServer, type ServerSpec } from './loopback-server.js';

const ENSURE_SERVICES = fileURLToPath(new URL('../../../scripts/ensure-services.sh', import.meta.url));

export interface EtcdServer extends LoopbackServer {
  /** The store setting for Duetime: etcd://127.0.0.1:port */
  readonly storeUrl: string;
}

/** Debian ships etcd as the etcd-server package; install it (with the other test servers) when it is missing. */
function ensureEtcdInstalled(): void {
  if (existsSync('/usr/bin/etcd')) return;
  execFileSync('bash', [ENSURE_SERVICES], { stdio: 'inherit' });
  if (!existsSync('/usr/bin/etcd')) throw new Error('etcd is not installed and scripts/ensure-services.sh could not install etcd-server');
}

/** True when etcd's /health endpoint says the member is healthy (it has a leader). */
function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** One etcd member on loopback: its client and peer ports, and the whole cluster's peer list. */
function memberSpec(name: string, port: number, peerPort: number, initialCluster: string, stopSignal?: NodeJS.Signals): ServerSpec {
  const client = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return {
    name: `etcd-${name}`,
    port,
    url: client,
    command: (dir) => ({
      command: 'etcd',
      // prettier-ignore
      args: [
        '--name', name,
        '--data-dir', join(dir, 'data'),
        '--listen-client-urls', client,
        '--advertise-client-urls', client,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', initialCluster,
        '--initial-cluster-state', 'new',
        '--logger', 'zap',
        '--log-level', 'warn',
      ],
    }),
    ready: () => healthy(port),
    readyTimeoutMs: 30_000,
    ...(stopSignal ? { stopSignal } : {}),
  };
}

/**
 * Debian's etcd (3.4+) as a one-member cluster on free loopback client and peer ports, its data
 * in a temp dir that survives down()/up(): a restarted etcd keeps every key and lease.
 */
export async function startEtcd(): Promise<EtcdServer> {
  ensureEtcdInstalled();
  const port = await freePort();
  const peerPort = await freePort();
  const server = await startLoopbackServer(memberSpec('duetime-test', port, peerPort, `duetime-test=http://127.0.0.1:${peerPort}`));
  return Object.assign(server, { storeUrl: `etcd://127.0.0.1:${port}` });
}

export interface EtcdCluster {
  readonly members: LoopbackServer[];
  /** The store setting naming every member: etcd://127.0.0.1:p1,127.0.0.1:p2,... */
  readonly storeUrl: string;
  stop(): Promise<void>;
}

/**
 * A real etcd cluster of `size` members on loopback (for fault tests: take one member down and
 * the rest keep a quorum). Members are started together, since none is healthy before a quorum
 * is up. `stopSignal: 'SIGKILL'` makes a member's down() a kill -9.
 */
export async function startEtcdCluster(size = 3, options: { stopSignal?: NodeJS.Signals } = {}): Promise<EtcdCluster> {
  ensureEtcdInstalled();
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ port: await freePort(), peerPort: await freePort() })));
  const names = ports.map((_, i) => `member-${i + 1}`);
  const initialCluster = ports.map((p, i) => `${names[i]}=http://127.0.0.1:${p.peerPort}`).join(',');
  const started = await Promise.allSettled(ports.map((p, i) => startLoopbackServer(memberSpec(names[i]!, p.port, p.peerPort, initialCluster, options.stopSignal))));
  const members = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(members.map((m) => m.stop()));
    throw failed.reason;
  }
  return {
    members,
    storeUrl: `etcd://${ports.map((p) => `127.0.0.1:${p.port}`).join(',')}`,
    stop: async () => {
      await Promise.allSettled(members.map((m) => m.stop()));
    },
  };
}
