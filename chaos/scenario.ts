// What every chaos scenario reports, and the pieces they share: bounded sleeps and the drain
// that waits (bounded) for every acknowledged tick to arrive once the faults stop.

import type { Delivery, Ledger, Verdict } from './ledger.js';

export interface ScenarioResult {
  name: string;
  /** What was killed, how many times (kill -9 unless said otherwise). */
  faults: Record<string, number>;
  durationMs: number;
  /** Schedule and delete requests sent while the faults ran. */
  requests: number;
  verdict: Verdict;
  /** Lateness of each acknowledged tick's first delivery, in ms. */
  lateness: { p50: number; p99: number; max: number };
  /** Restarts that needed more than one try, with the reason. */
  notes: string[];
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A pause of min..max ms, so the faults do not fall into step with the load. */
export const jitter = (minMs: number, maxMs: number): Promise<void> => sleep(minMs + Math.random() * (maxMs - minMs));

/** Waits until no acknowledged tick is missing, or `timeoutMs` passes (the verdict then counts what is lost). */
export async function drain(ledger: Ledger, deliveries: () => Delivery[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && ledger.missing(deliveries()) > 0) await sleep(500);
}

export function firstDeliveryLateness(ledger: Ledger, deliveries: Delivery[]): ScenarioResult['lateness'] {
  const first = new Map<string, number>();
  for (const d of deliveries) {
    const key = `${d.job}@${d.scheduledAt}`;
    const seen = first.get(key);
    if (seen === undefined || d.receivedAt < seen) first.set(key, d.receivedAt);
  }
  const late: number[] = [];
  for (const job of ledger.jobs.values()) {
    if (job.ackedAt === undefined || job.deleteSent) continue;
    for (const tick of job.ticks) {
      const at = first.get(`${job.name}@${tick}`);
      if (at !== undefined) late.push(at - tick);
    }
  }
  late.sort((a, b) => a - b);
  const q = (p: number): number => late[Math.min(late.length - 1, Math.floor(p * late.length))] ?? 0;
  return { p50: q(0.5), p99: q(0.99), max: late[late.length - 1] ?? 0 };
}
