// What posting the engine's outcome batches to the SQLite writer thread costs by itself: batches
// shaped like writer-codec.ts's (22 values per outcome: the key's strings, the uid, a history
// entry's JSON and 14 numeric columns) posted to a worker that only receives them, against the
// same with the 14 numbers in one Float64Array per batch. Prints the process's CPU (both threads:
// building, posting, the worker's read) per outcome, median of 7 rounds, per batch size.
//   node bench/outcome-post-probe.js [batch sizes, default 5,20,80,300]
// Nothing is asserted.

import { Worker } from 'node:worker_threads';

const SIZES = (process.argv[2] ?? '5,20,80,300').split(',').map(Number);
const OUTCOMES_PER_ROUND = 120_000;
const ENTRY = JSON.stringify({ at: '2026-12-06T06:34:13.000Z', attempt: 1, outcome: 'delivered', scheduledAt: '2026-12-06T06:34:13.000Z' });
const UID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const T = 1_796_538_853_406;

function flat(n) {
  const wire = [3, n];
  for (let i = 0; i < n; i++) wire.push(1, 'default', 'watch', `burst-${i}`, UID, 1, ENTRY, null, 2, 3, 1, 1, T + i, T, null, null, null, null, null, null, null, T + 5);
  return wire;
}

function typed(n) {
  const cols = new Float64Array(n * 14).fill(Number.NaN);
  const wire = [3, n, cols];
  for (let i = 0; i < n; i++) {
    wire.push(1, 'default', 'watch', `burst-${i}`, UID, 1, ENTRY, null);
    cols.set([2, 3, 1, 1, T + i, T], i * 14);
    cols[i * 14 + 13] = T + 5;
  }
  return wire;
}

const worker = new Worker('require("node:worker_threads").parentPort.on("message", () => {});', { eval: true });

function microsPerOutcome(make, n) {
  const batches = Math.round(OUTCOMES_PER_ROUND / n);
  const before = process.cpuUsage();
  for (let b = 0; b < batches; b++) worker.postMessage(make(n));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / (n * batches);
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
for (const n of SIZES) {
  for (let warm = 0; warm < 3; warm++) {
    microsPerOutcome(flat, n);
    microsPerOutcome(typed, n);
  }
  const a = [];
  const b = [];
  for (let round = 0; round < 7; round++) {
    a.push(microsPerOutcome(flat, n));
    b.push(microsPerOutcome(typed, n));
  }
  console.log(`batch of ${n}: flat array ${median(a).toFixed(2)} µs per outcome, numbers in a Float64Array ${median(b).toFixed(2)} µs`);
}
await worker.terminate();
