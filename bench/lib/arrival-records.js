// What a receiving process of the bench keeps of each arrival, and the small HTTP server through
// which the bench reads it. Every receiver (bench/burst-receiver.js, bench/steady-receiver.js,
// bench/watch-receiver.js, bench/bullmq-worker.js) runs as its own `node` process and must
// answer the bench alike, so the reader (bench/lib/receiver-records.ts) can poll and summarise
// any of them:
//   GET /count -> {"count": n}, cheap, polled while jobs arrive
//   GET /stats -> every record, column-wise {names, receivedAt, <due column>, attempts, via}
// and print "listening <port>" once it can be asked, which the bench waits for.

import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

/** One entry per arrival, kept in columns (cheap to push, one JSON array each for /stats). */
export class ArrivalRecords {
  names = [];
  receivedAt = [];
  due = [];
  attempts = [];
  /** The path segment before /job/ ('' for /job/{name}): the cluster bench's replica name. */
  via = [];

  /**
   * @param {string} dueColumn the name /stats gives the due instants: "scheduledAt" (the
   *   duetime-scheduled-time header, or null where the transport carries none) or "dueAt" (the
   *   steady receiver's, read from the job's data)
   */
  constructor(dueColumn = 'scheduledAt') {
    this.dueColumn = dueColumn;
  }

  /** name: the job's; receivedAt: Date.now() on arrival; due: ms or null; attempt: 0 when unknown; via: see above. */
  add(name, receivedAt, due, attempt, via = '') {
    this.names.push(name);
    this.receivedAt.push(receivedAt);
    this.due.push(due);
    this.attempts.push(attempt);
    this.via.push(via);
  }

  get count() {
    return this.names.length;
  }

  columns() {
    return { names: this.names, receivedAt: this.receivedAt, [this.dueColumn]: this.due, attempts: this.attempts, via: this.via };
  }
}

/**
 * Serves records on 127.0.0.1:port (0: a free port), prints "listening <port>" once listening,
 * and exits with 0 on SIGTERM after close() (the worker's own shutdown, if any) settles.
 * onJob(req, res, name, at, via), when given, takes every POST /job/{name} and /{via}/job/{name}:
 * the receivers Duetime delivers to over HTTP; `at` is Date.now() when the request came in, before
 * its body is read; `via` is the one path segment before /job/ ('' when none: the cluster bench
 * gives each replica its own, /replica-N).
 */
export function serveArrivals(records, { port = 0, onJob, close } = {}) {
  const server = createServer((req, res) => {
    const at = Date.now();
    const url = req.url ?? '';
    if (onJob && req.method === 'POST') {
      const job = jobPath(url);
      if (job) return onJob(req, res, decodeURIComponent(url.slice(job.nameAt)), at, job.via);
    }
    if (req.method === 'GET' && url === '/count') return json(res, { count: records.count });
    if (req.method === 'GET' && url === '/stats') return json(res, records.columns());
    res.writeHead(404);
    res.end();
  });
  // Duetime's delivery connections stay open across a whole run.
  if (onJob) server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => {
    console.log(`listening ${server.address().port}`);
  });
  process.once('SIGTERM', () => {
    if (close) void close().finally(() => process.exit(0));
    else process.exit(0);
  });
  return server;
}

/** /job/{name} or /{via}/job/{name}: where the name starts and the segment before it; null otherwise. */
function jobPath(url) {
  if (url.startsWith('/job/')) return { via: '', nameAt: '/job/'.length };
  const slash = url.indexOf('/', 1);
  if (slash > 1 && url.startsWith('/job/', slash)) return { via: url.slice(1, slash), nameAt: slash + '/job/'.length };
  return null;
}

function json(res, value) {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
