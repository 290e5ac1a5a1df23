// The chaos load: a bounded stream of schedules and deletes against whichever nodes are up,
// each recorded in the ledger with its acknowledgement (or its absence).

import type { Ledger, SentJob } from './ledger.js';

export interface LoadOptions {
  /** Where to send the next request (a live node's HTTP URL), or undefined while none is up. */
  target: () => string | undefined;
  ledger: Ledger;
  /** Requests in flight at once. */
  concurrency: number;
  /** Checked before each request: false ends the load. */
  keepGoing: () => boolean;
  /** Job names start with this (one prefix per scenario). */
  prefix: string;
}

const REQUEST_TIMEOUT_MS = 5_000;
const EVERY_MS = 1_000;
const EVERY_TICKS = 3;

/** Sends until `until`; returns the number of requests sent (answered or not). */
export async function runLoad(options: LoadOptions): Promise<number> {
  let counter = 0;
  let requests = 0;
  const deletable: SentJob[] = [];
  const worker = async (): Promise<void> => {
    while (options.keepGoing()) {
      const base = options.target();
      if (!base) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      requests++;
      const roll = Math.random();
      if (roll < 0.05 && deletable.length > 0) {
        await deleteOne(base, deletable.splice(Math.floor(Math.random() * deletable.length), 1)[0]!);
        continue;
      }
      const name = `${options.prefix}${++counter}`;
      const recurring = roll < 0.15;
      // Due 1-4 s ahead, at a whole millisecond: the tick a delivery must carry is known exactly.
      const first = Date.now() + 1_000 + Math.floor(Math.random() * 3_000);
      const ticks = recurring ? Array.from({ length: EVERY_TICKS }, (_, i) => first + i * EVERY_MS) : [first];
      const job: SentJob = { name, ticks };
      options.ledger.sent(job);
      const body = recurring ? { dueTime: new Date(first).toISOString(), schedule: '@every 1s', repeats: EVERY_TICKS, data: { n: counter } } : { dueTime: new Date(first).toISOString(), data: { n: counter } };
      if ((await send(base, 'POST', name, body)) === 204) {
        job.ackedAt = Date.now();
        if (!recurring && first - Date.now() > 1_500) deletable.push(job);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return requests;
}

async function deleteOne(base: string, job: SentJob): Promise<void> {
  job.deleteSent = true;
  const status = await send(base, 'DELETE', job.name);
  if (status === 204) job.deleteAckedAt = Date.now();
}

/** The status, or 0 when the request failed or timed out (the node was killed under it). */
async function send(base: string, method: 'POST' | 'DELETE', name: string, body?: unknown): Promise<number> {
  try {
    const response = await fetch(`${base}/v1.0-alpha1/jobs/${encodeURIComponent(name)}`, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}
