// Debian's redis-server for the BullMQ stages, started in the stage's scope (so the stage's end,
// timeout or failure kills it like every other process of the bench) on a free loopback port,
// with its data in a folder of the stage (on the project's disk, where an fsync costs what it
// would). Not src/testing's startRedis, which keeps its data in the OS temp dir and hides the
// process the CPU figures need; but its command line (redisServerArgs), so persistence is as the
// test support runs it and as BullMQ is commonly deployed: the append-only file with Redis's
// default `appendfsync everysec` (one fsync a second, where Duetime's SQLite store fsyncs before
// every 204 and every outcome), no RDB snapshots.

import { freePort } from '../../src/testing/servers/free-port.js';
import { redisServerArgs } from '../../src/testing/servers/redis.js';
import type { Started } from './processes.js';
import { subdir, type StageContext } from './stage.js';

export interface BenchRedis {
  url: string;
  host: string;
  port: number;
  process: Started;
  version: string;
}

export async function startBenchRedis(ctx: StageContext): Promise<BenchRedis> {
  const port = await freePort();
  const dir = subdir(ctx, 'redis-data');
  const started = ctx.scope.start('redis', 'redis-server', redisServerArgs(port, dir));
  await started.waitForOutput(/Ready to accept connections/, 20_000);
  const [, version] = started.output().match(/Redis version=([\d.]+)/) ?? [];
  return { url: `redis://127.0.0.1:${port}`, host: '127.0.0.1', port, process: started, version: version ?? 'unknown' };
}
