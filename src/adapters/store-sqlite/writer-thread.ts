// The main thread's side of the writer thread: a group commit whose COMMIT (and fsync) runs on a
// worker, so the event loop keeps serving while a batch is written.
//
// State machine:
//   idle      --submit-->                queued (a send is armed on the next macrotask)
//   queued    --setImmediate / maxBatch / sync()-->  in flight (one batch posted to the worker)
//   in flight --submit-->                in flight, the write queues behind it
//   in flight --worker answers-->        each write settles with its own result; whatever queued
//                                        meanwhile is sent at once (batches grow while one commits)
//   any       --worker dies-->           failed: everything pending and later rejects
// Writes settle in submission order, one batch at a time, so "every write up to sequence n has
// settled" is one counter; reads wait on it (sync) to see this process's writes.
//
// Each write is encoded flat (writer-codec.ts) when it is submitted, into the batch it will be
// posted in: what waits for the worker is one array of strings and numbers per batch, not a
// write object (and a row or guard object, and a progress array) per write. In a burst the engine
// queues outcomes faster than the worker commits them, thousands at once, and the scavenges
// copied those objects while they waited.

import { Worker } from 'node:worker_threads';
import { writerSourceBundle } from './writer-source-bundle.js';
import { encodeOp } from './writer-codec.js';
import type { WriteOp } from './write-ops.js';
import { decodeError, type FromWriter, type ToWriter, type WriterInit } from './writer-protocol.js';

interface Item {
  seq: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Writes to be posted together (at most maxBatch), already encoded into one flat array. */
interface Batch {
  wire: unknown[];
  items: Item[];
}

export class WriterThread {
  private readonly worker: Worker;
  /** Batches waiting to be posted, oldest first; only the last one takes new writes. */
  private queue: Batch[] = [];
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
    return this.submitEncoded(encodeOp, op);
  }

  /**
   * A write given as what encodes it (`encode(value, wire)` appends it to the batch's flat
   * array, as encodeOp does). When encode throws, whatever it appended is cut off and the write
   * alone rejects.
   */
  submitEncoded<T>(encode: (value: T, wire: unknown[]) => void, value: T): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the SQLite job store is closed'));
    if (this.failure) return Promise.reject(this.failure);
    let batch = this.queue[this.queue.length - 1];
    if (!batch || batch.items.length >= this.maxBatch) {
      batch = { wire: [], items: [] };
      this.queue.push(batch);
    }
    const { wire, items } = batch;
    const before = wire.length;
    try {
      encode(value, wire);
    } catch (error) {
      wire.length = before;
      if (items.length === 0) this.queue.pop();
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      items.push({ seq: ++this.submitted, resolve, reject });
      if (this.inFlight) return; // sent when the worker answers
      if (items.length >= this.maxBatch) this.send();
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
    if (this.inFlight || this.failure) return;
    const batch = this.queue.shift();
    if (!batch) return;
    this.inFlight = batch.items;
    this.worker.ref();
    this.worker.postMessage({ type: 'batch', ops: batch.wire } satisfies ToWriter);
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
    const pending = [...(this.inFlight ?? []), ...this.queue.flatMap((batch) => batch.items)];
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
