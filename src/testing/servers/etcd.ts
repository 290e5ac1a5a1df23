import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';

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

/**
 * Debian's etcd (3.4+) as a one-member cluster on free loopback client and peer ports, its data
 * in a temp dir that survives down()/up(): a restarted etcd keeps every key and lease.
 */
export async function startEtcd(): Promise<EtcdServer> {
  ensureEtcdInstalled();
  const port = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const server = await startLoopbackServer({
    name: 'etcd',
    port,
    url: client,
    command: (dir) => ({
      command: 'etcd',
      args: [
        '--name', 'duetime-test',
        '--data-dir', join(dir, 'data'),
        '--listen-client-urls', client,
        '--advertise-client-urls', client,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `duetime-test=${peer}`,
        '--initial-cluster-state', 'new',
        '--logger', 'zap',
        '--log-level', 'warn',
      ],
    }),
    ready: () => healthy(port),
    readyTimeoutMs: 30_000,
  });
  return Object.assign(server, { storeUrl: `etcd://127.0.0.1:${port}` });
}
