import { freePort } from './free-port.js';
import { startLoopbackServer, type LoopbackServer } from './loopback-server.js';
import { probeTcp } from './probe.js';

export interface RedisOptions {
  /** Sets requirepass, to exercise a component's redisPassword. */
  password?: string;
}

/**
 * redis-server's arguments for one server on 127.0.0.1:port with its data in dir, in the
 * foreground, logging to stdout: the append-only file with Redis's default `appendfsync
 * everysec`, no RDB snapshots. The tests and the bench's BullMQ stages (bench/lib/redis-server.ts)
 * both run Redis this way, so what the bench measures is the Redis the tests exercise.
 */
export function redisServerArgs(port: number, dir: string, options: RedisOptions = {}): string[] {
  // prettier-ignore
  return [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--appendonly', 'yes',
    '--daemonize', 'no',
    '--logfile', '',
    ...(options.password ? ['--requirepass', options.password] : []),
  ];
}

/** Debian's redis-server on a free loopback port, append-only file in its temp dir. */
export async function startRedis(options: RedisOptions = {}): Promise<LoopbackServer> {
  const port = await freePort();
  return startLoopbackServer({
    name: 'redis',
    port,
    url: `redis://127.0.0.1:${port}`,
    command: (dir) => ({ command: 'redis-server', args: redisServerArgs(port, dir, options) }),
    // A server that is still loading its AOF answers -LOADING; wait for PONG (or NOAUTH).
    ready: () =>
      probeTcp(port, {
        send: 'PING\r\n',
        accept: (reply) => /^(\+PONG|-NOAUTH)/.test(reply.toString()),
      }),
    readyTimeoutMs: 20_000,
  });
}
