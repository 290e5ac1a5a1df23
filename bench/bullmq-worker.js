// BullMQ's side of the BullMQ stages, as its own process (as Duetime is its own process):
//   node bench/bullmq-worker.js <redisUrl> <queue> <http|local> <concurrency> [receiverUrl]
// A BullMQ Worker on <queue> with `concurrency` jobs at a time. Every job's data carries the
// instant it is due ({"due": ms, ...}), set by the bench when it added the job with that delay.
//   http:  the job is forwarded as Duetime delivers a trigger: POST <receiverUrl>/job/<name>,
//          the data as JSON, the due instant in duetime-scheduled-time (so the receiver measures
//          lateness as it does for Duetime), over an undici Pool of `concurrency` connections; a
//          status other than 2xx or 404 fails the job.
//   local: the handler runs in this process and does no I/O: it records the job's name, its due
//          instant and Date.now(), and returns.
// In both modes a small HTTP server on a free loopback port answers GET /count and GET /stats
// (the local records, column-wise {names, receivedAt, scheduledAt, attempts}, as the bench's
// receivers do; empty in http mode, where the receiver has them). Prints "listening <port>"
// once the worker is connected and running.

import { URL } from 'node:url';
import { Worker } from 'bullmq';
import { Pool } from 'undici';
import { ArrivalRecords, serveArrivals } from './lib/arrival-records.js';

const [redisUrl, queue, mode, concurrencyArg, receiverUrl] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
if (!redisUrl || !queue || !['http', 'local'].includes(mode ?? '') || !(concurrency > 0) || (mode === 'http' && !receiverUrl)) {
  console.error('usage: node bench/bullmq-worker.js <redisUrl> <queue> <http|local> <concurrency> [receiverUrl]');
  process.exit(2);
}
const redis = new URL(redisUrl);
// BullMQ's workers block on Redis: the connection must not give up on a command after a while.
const connection = { host: redis.hostname, port: Number(redis.port), maxRetriesPerRequest: null };

const records = new ArrivalRecords('scheduledAt');

let processor;
if (mode === 'http') {
  const pool = new Pool(receiverUrl, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  processor = async (job) => {
    const response = await pool.request({
      path: `/job/${encodeURIComponent(job.name)}`,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'duetime-scheduled-time': new Date(job.data.due).toISOString(),
        'duetime-attempt': String(job.attemptsMade + 1),
      },
      body: JSON.stringify(job.data),
    });
    await response.body.dump();
    if ((response.statusCode < 200 || response.statusCode > 299) && response.statusCode !== 404) throw new Error(`the app answered ${response.statusCode}`);
  };
} else {
  processor = async (job) => {
    records.add(job.name, Date.now(), job.data.due, job.attemptsMade + 1);
  };
}

const worker = new Worker(queue, processor, { connection, concurrency });
worker.on('error', (error) => console.error(`worker: ${error.message}`));
worker.on('failed', (job, error) => console.error(`job ${job?.name} failed: ${error.message}`));

await worker.waitUntilReady();
serveArrivals(records, { close: () => worker.close() });
