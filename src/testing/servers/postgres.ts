import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';

/** Debian installs the binaries per major version and puts none of them on PATH. */
function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) throw new Error('postgresql is not installed (run scripts/ensure-services.sh)');
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  if (versions[0] === undefined) throw new Error(`no postgres binary under ${base}/*/bin`);
  return join(base, versions[0], 'bin');
}

/** postgres refuses to run as root: when we are root, run it as the `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (line === undefined) throw new Error('running as root but there is no postgres user to run the server as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Debian's PostgreSQL in a fresh cluster (initdb into the temp dir), listening on 127.0.0.1 only,
 * its unix socket in the temp dir, trust auth for user postgres. fsync is off: tests need speed,
 * not crash safety (a clean down()/up() keeps every row).
 */
export async function startPostgres(): Promise<LoopbackServer> {
  const port = await freePort();
  const bin = postgresBinDir();
  const user = serverUser();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return startLoopbackServer({
    name: 'postgres',
    port,
    url,
    prepare: (dir) => {
      mkdirSync(join(dir, 'sock'));
      if (user) {
        chownSync(dir, user.uid, user.gid);
        chownSync(join(dir, 'sock'), user.uid, user.gid);
      }
      execFileSync(
        join(bin, 'initdb'),
        ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        { uid: user?.uid, gid: user?.gid, stdio: 'pipe', cwd: dir },
      );
    },
    command: (dir) => ({
      command: join(bin, 'postgres'),
      args: [
        '-D', join(dir, 'data'),
        '-h', '127.0.0.1',
        '-p', String(port),
        '-k', join(dir, 'sock'),
        '-c', 'fsync=off',
        '-c', 'full_page_writes=off',
      ],
      uid: user?.uid,
      gid: user?.gid,
      cwd: dir,
    }),
    ready: async () => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    readyTimeoutMs: 30_000,
    // SIGINT is postgres's "fast" shutdown: roll back sessions, checkpoint, exit.
    stopSignal: 'SIGINT',
  });
}
