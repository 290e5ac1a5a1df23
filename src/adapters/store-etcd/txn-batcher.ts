// Group commit for etcd: conditional transactions issued in the same turn of the event loop go
// to etcd as one outer transaction whose operations are the individual transactions, nested
// (etcd 3.3+). Each keeps its own compares and its own outcome; together they cost one request
// and one raft entry (one fsync) instead of one each. Measured here: ~2,000 single transactions
// per second at 64 in flight; batched, several times that.
//
// Batches in flight are capped (MAX_IN_FLIGHT): while they are out, new transactions queue and
// leave together when one comes back, so under load a batch holds what arrived during a round
// trip rather than what arrived in one turn of the event loop (a trigger burst's commits trickle
// in as deliveries answer: batches of ~4 uncapped). With nothing in flight a transaction still
// leaves on the next turn, so an idle store adds no wait.
//
// A transaction issued with lingerMs (the engine's progress commits: nobody waits on them but
// the engine) may wait for company while the store is busy (a batch in flight, or one sent less
// than lingerMs ago): it leaves when the oldest lingering one is lingerMs old, LINGER_FILL are
// waiting, or one that may not wait (an API write) joins them. A request costs etcd about 0.5 ms
// of CPU and the client about 0.3-0.4 ms whatever it holds (bench/etcd-batch-probe.ts,
// etcd-call-probe.ts), and a trigger burst's commits otherwise leave in batches of ~8, as they
// trickle in during a round trip. On a quiet store a lingering transaction leaves at once.
//
// etcd refuses a transaction in which two nested ones write the same key. The store never has
// two writes of one job in flight (IssueOrder), and different jobs share no key, so batches are
// safe. Limits: at most MAX_NESTED per batch (each nested one may then use up to
// MAX_TXN_OPS - MAX_NESTED operations), and about MAX_BATCH_BYTES of payload, under etcd's
// default 1.5 MiB request limit; a bigger single transaction goes alone.

import type { RequestOp, TxnRequest, TxnResponse } from './etcd-api.js';
import type { EtcdClient } from './etcd-client.js';

const MAX_NESTED = 64;
const MAX_BATCH_BYTES = 512 * 1024;
/** Batches sent and not yet answered, at most. */
export const MAX_IN_FLIGHT = 2;
/** Lingering transactions waiting that make a batch worth sending at once. */
export const LINGER_FILL = 64;

export interface BatchedResult {
  succeeded: boolean;
  /** The responses of the branch that ran. */
  responses: TxnResponse['responses'];
  /** The revision of the whole batch: the mod revision of every key it wrote. */
  revision: number;
}

interface Pending {
  request: TxnRequest;
  bytes: number;
  resolve: (result: BatchedResult) => void;
  reject: (error: unknown) => void;
  /** When it stops waiting for company (0: it does not wait). */
  lingerUntil: number;
  issuedAt: number;
}

export class TxnBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  /** Transactions queued that may not wait for company. */
  private eager = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lastSendAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: EtcdClient,
    private readonly maxInFlight = MAX_IN_FLIGHT,
  ) {}

  txn(request: TxnRequest, options: { lingerMs?: number } = {}): Promise<BatchedResult> {
    return new Promise((resolve, reject) => {
      const bytes = sizeOf(request);
      if (bytes > MAX_BATCH_BYTES) {
        // Too big to share a request: on its own, as a plain transaction.
        this.client.txn(request).then((r) => resolve({ succeeded: r.succeeded, responses: r.responses, revision: Number(r.header.revision) }), reject);
        return;
      }
      const lingerMs = options.lingerMs ?? 0;
      const now = performance.now();
      this.queue.push({ request, bytes, resolve, reject, lingerUntil: lingerMs > 0 ? now + lingerMs : 0, issuedAt: now });
      if (lingerMs <= 0) this.eager++;
      this.kick();
    });
  }

  /** Sends what is queued on the next turn, unless the batches in flight are at the cap (their answers send it). */
  private kick(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const wait = this.lingerLeft();
      if (wait > 0) {
        this.lingerTimer ??= setTimeout(() => {
          this.lingerTimer = undefined;
          this.drain();
        }, wait);
        return;
      }
      this.send(this.take());
    }
  }

  /** Ms the queue may still wait for company before a free slot sends it (0: send now). */
  private lingerLeft(): number {
    if (this.eager > 0 || this.queue.length >= LINGER_FILL) return 0;
    const now = performance.now();
    const oldest = this.queue[0]!;
    // Quiet: nothing out, and nothing sent for lingerMs before the oldest was issued.
    if (this.inFlight === 0 && oldest.issuedAt - this.lastSendAt > oldest.lingerUntil - oldest.issuedAt) return 0;
    return Math.max(0, Math.ceil(oldest.lingerUntil - now));
  }

  /** The next batch: at most MAX_NESTED transactions and about MAX_BATCH_BYTES, in issue order. */
  private take(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < MAX_NESTED && (n === 0 || bytes + this.queue[n]!.bytes <= MAX_BATCH_BYTES)) bytes += this.queue[n++]!.bytes;
    const batch = this.queue.splice(0, n);
    for (const p of batch) if (p.lingerUntil === 0) this.eager--;
    return batch;
  }

  private send(batch: Pending[]): void {
    this.inFlight++;
    this.lastSendAt = performance.now();
    const done = (): void => {
      this.inFlight--;
      this.drain();
    };
    if (batch.length === 1) {
      const [only] = batch as [Pending];
      this.client.txn(only.request).then(
        (r) => {
          done();
          only.resolve({ succeeded: r.succeeded, responses: r.responses, revision: Number(r.header.revision) });
        },
        (error: unknown) => {
          done();
          only.reject(error);
        },
      );
      return;
    }
    this.client.txn({ compare: [], success: batch.map((p) => ({ requestTxn: p.request })), failure: [] }).then(
      (response) => {
        done();
        const revision = Number(response.header.revision);
        batch.forEach((p, i) => {
          const nested = response.responses[i]?.responseTxn;
          if (!nested) p.reject(new Error('etcd: a batched transaction has no response'));
          else p.resolve({ succeeded: nested.succeeded, responses: nested.responses, revision });
        });
      },
      (error: unknown) => {
        done();
        for (const p of batch) p.reject(error);
      },
    );
  }
}

/** Roughly the bytes a transaction puts on the wire: keys and values dominate. */
function sizeOf(request: TxnRequest): number {
  let bytes = 0;
  const op = (o: RequestOp): void => {
    if ('requestPut' in o) bytes += o.requestPut.key.length + o.requestPut.value.length + 16;
    else if ('requestDeleteRange' in o) bytes += o.requestDeleteRange.key.length + (o.requestDeleteRange.rangeEnd?.length ?? 0) + 16;
    else if ('requestRange' in o) bytes += o.requestRange.key.length + (o.requestRange.rangeEnd?.length ?? 0) + 16;
    else bytes += sizeOf(o.requestTxn);
  };
  for (const c of request.compare) bytes += c.key.length + (c.value?.length ?? 0) + 24;
  request.success.forEach(op);
  request.failure.forEach(op);
  return bytes;
}
