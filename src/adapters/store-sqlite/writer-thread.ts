// The main thread's side of the writer thread: a group commit whose COMMIT (and fsync) runs on a
// worker, so the event loop keeps serving while a batch is written.
//
// State machine:
//   idle      --submit-->                queued (a send is armed on the next macrotask)
//   queued    --setImmediate / maxBatch / sync()-->  in flight (one batch posted to the worker, its
//                                        writes encoded flat: writer-codec.ts)
//   in flight --submit-->                in flight, the write queues behind it
//   in flight --worker answers-->        each write settles with its own result; whatever queued
//                                        meanwhile is sent at once (batches grow while one commits)
//   any       --worker dies-->           failed: everything pending and later rejects
// Writes settle in submission order, one batch at a time, so "every write up to sequence n has
// settled" is one counter; reads wait on it (sync) to see this process's writes.

import { Worker } from 'node:worker_threads';
import { writerSourceBundle } from './writer-source-bundle.js';
import { encodeOps } from './writer-codec.js';
import type { WriteOp } from './write-ops.js';
import { decodeError, type FromWriter, type ToWriter, type WriterInit } from './writer-protocol.js';

interface Item {
  op: WriteOp;
  seq: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class WriterThread {
  private readonly worker: Worker;
  private queue: Item[] = [];
  private inFlight: Item[] | undefined;
  private armed = false;
  private closed = false;
  private failure: Error | undefined;
  private submitted = 0;
  private settled = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private exited: Promise<void>;

  constructor(
    init: WriterInit,
    /** At most this many writes per posted batch. */
    private readonly maxBatch: number,
  ) {
    this.worker = spawnWriter(init);
    // Referenced only while work is pending, so an idle store does not hold the process open.
    this.worker.unref();
    this.worker.on('message', (message: FromWriter) => this.onAnswer(message));
    this.worker.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        if (!this.closed || this.pending > 0) this.fail(new Error(`the SQLite writer thread exited (code ${code})`));
        resolve();
      });
    });
  }

  /**
   * A batch is on the worker: its transaction may hold the file's write lock. Set and cleared on
   * this thread, so false means the worker holds no lock of ours.
   */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /** Writes not yet settled: queued or in flight. */
  get pending(): number {
    return this.submitted - this.settled;
  }

  submit(op: WriteOp): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the SQLite job store is closed'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ op, seq: ++this.submitted, resolve, reject });
      if (this.inFlight) return; // sent when the worker answers
      if (this.queue.length >= this.maxBatch) this.send();
      else if (!this.armed) {
        this.armed = true;
        setImmediate(() => {
          this.armed = false;
          this.send();
        });
      }
    });
  }

  /** Resolves once every write submitted before this call has settled (committed or failed). */
  sync(): Promise<void> {
    const seq = this.submitted;
    if (this.settled >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ seq, resolve });
      this.send(); // a reader waits for nobody's macrotask
    });
  }

  /** Commits everything pending, then closes the write connection and ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return this.exited;
    this.closed = true;
    await this.sync();
    if (!this.failure) {
      this.worker.ref();
      this.worker.postMessage({ type: 'close' } satisfies ToWriter);
    } else {
      await this.worker.terminate();
    }
    await this.exited;
  }

  private send(): void {
    if (this.inFlight || this.queue.length === 0 || this.failure) return;
    const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
    this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
    this.inFlight = batch;
    this.worker.ref();
    this.worker.postMessage({ type: 'batch', ops: encodeOps(batch.map((item) => item.op)) } satisfies ToWriter);
  }

  private onAnswer(message: FromWriter): void {
    if (message.type === 'closed') return;
    const batch = this.inFlight;
    if (!batch) return;
    this.inFlight = undefined;
    if (message.type === 'failed') {
      const error = decodeError(message.error);
      for (const item of batch) item.reject(error);
    } else {
      const failed = new Map(message.errors);
      batch.forEach((item, i) => {
        const error = failed.get(i);
        if (error) item.reject(decodeError(error));
        else item.resolve(message.values[i]);
      });
    }
    this.settled = batch[batch.length - 1]?.seq ?? this.settled;
    this.wakeWaiters();
    if (this.queue.length > 0) this.send();
    else this.worker.unref();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    const pending = [...(this.inFlight ?? []), ...this.queue];
    this.inFlight = undefined;
    this.queue = [];
    for (const item of pending) item.reject(error);
    this.settled = this.submitted;
    this.wakeWaiters();
    this.worker.unref();
  }

  private wakeWaiters(): void {
    while (this.waiters.length > 0 && (this.waiters[0]?.seq ?? Infinity) <= this.settled) this.waiters.shift()?.resolve();
  }
}

/**
 * Starts the worker from the file next to this one, with this module's extension: .js from dist/;
 * .ts under tsx or Vitest, where the worker (which inherits no loader) runs a bundle of it
 * (writer-source-bundle.ts).
 */
function spawnWriter(init: WriterInit): Worker {
  const typescript = import.meta.url.endsWith('.ts');
  const entry = new URL(`./sqlite-writer-worker.${typescript ? 'ts' : 'js'}`, import.meta.url);
  return new Worker(typescript ? writerSourceBundle(entry) : entry, { workerData: init });
}
