// Bench-only tracer, loaded into a process with `node --import <this file>` (BENCH_TRACE_DIR set)
// when the steady stages are asked to trace (BENCH_STEADY_TRACE=1). It records, on the wall clock
// (Date.now() ms, the receiver's clock for arrivals), what can hold up a timer:
//   gc     every GC pause on this thread (PerformanceObserver 'gc': kind and duration)
//   gap    a stretch of 5 ms or more in which this thread's 2 ms interval timer did not run
//   post   a postMessage to a worker that took 1 ms or more (with the batch's op count)
//   cpu    this thread's CPU time so far, every 100 ms (clock ticks); the machine's too
//   stmt   an SQLite statement that took 2 ms or more on this thread (COMMIT always, on the
//          writer thread: the WAL checkpoint SQLite runs inside a commit shows as a long one)
// One JSON line per record in <BENCH_TRACE_DIR>/<pid>-<thread id>.jsonl, appended in chunks.

import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { isMainThread, threadId, Worker } from 'node:worker_threads';

const dir = process.env.BENCH_TRACE_DIR;
if (dir) {
  const file = join(dir, `${process.pid}-${threadId}.jsonl`);
  let lines = [];
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(file, lines.join('\n') + '\n');
    lines = [];
  };
  const record = (entry) => {
    lines.push(JSON.stringify(entry));
    if (lines.length >= 200) flush();
  };
  const epoch = (perfMs) => performance.timeOrigin + perfMs;
  record({ type: 'start', at: Date.now(), argv: process.argv.slice(1, 3).join(' '), main: isMainThread });

  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) record({ type: 'gc', at: Math.round(epoch(e.startTime)), ms: +e.duration.toFixed(2), kind: e.detail?.kind });
  }).observe({ entryTypes: ['gc'] });

  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    if (now - last >= 5) record({ type: 'gap', at: Math.round(epoch(last)), ms: +(now - last).toFixed(1) });
    last = now;
  }, 2);
  tick.unref();

  if (isMainThread) {
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (message, transfer) {
      const t = performance.now();
      const result = post.call(this, message, transfer);
      const ms = performance.now() - t;
      if (ms >= 1) record({ type: 'post', at: Math.round(epoch(t)), ms: +ms.toFixed(2), ops: message?.ops?.kinds?.length ?? message?.ops?.length });
      return result;
    };
  }

  try {
    // The build under measure may be another checkout's (BENCH_DUETIME_BIN): its better-sqlite3.
    const require = createRequire(process.env.BENCH_DUETIME_BIN ?? join(process.cwd(), 'package.json'));
    const Database = require('better-sqlite3');
    const probe = new Database(':memory:');
    const Statement = probe.prepare('select 1').constructor;
    probe.close();
    for (const method of ['run', 'get', 'all']) {
      const original = Statement.prototype[method];
      Statement.prototype[method] = function (...args) {
        const t = performance.now();
        const result = original.apply(this, args);
        const ms = performance.now() - t;
        const commit = this.source === 'COMMIT';
        if ((commit && !isMainThread) || ms >= 2) record({ type: commit ? 'commit' : 'stmt', at: Math.round(epoch(t)), ms: +ms.toFixed(2), sql: commit ? undefined : this.source.slice(0, 60) });
        return result;
      };
    }
  } catch (error) {
    record({ type: 'note', message: `no SQLite tracing: ${error.message}` });
  }

  // This thread's CPU time (utime + stime, in clock ticks of 10 ms) every 100 ms; the receiver's
  // main thread also reads the machine's (busy and steal ticks of all cores), which tells the
  // other tenants' CPU from ours.
  const machine = isMainThread && process.argv[1]?.includes('receiver');
  const cpu = setInterval(() => {
    try {
      const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
      const entry = { type: 'cpu', at: Date.now(), ticks: Number(fields[11]) + Number(fields[12]) };
      if (isMainThread) {
        const own = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
        entry.proc = Number(own[11]) + Number(own[12]); // every thread of the process
      }
      if (machine) {
        const all = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
        // user nice system idle iowait irq softirq steal
        entry.busy = all[0] + all[1] + all[2] + all[5] + all[6];
        entry.steal = all[7];
        entry.iowait = all[4];
      }
      record(entry);
    } catch {
      clearInterval(cpu);
    }
  }, 100);
  cpu.unref();

  process.on('exit', flush);
  setInterval(flush, 1000).unref();
}
