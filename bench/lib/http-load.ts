// A bounded-concurrency client for scheduling a known number of jobs: `concurrency` workers
// over an undici Pool of as many keep-alive connections, each taking the next index until all
// are sent. Counts responses by status and keeps the first few error bodies.

import { Pool } from 'undici';

export interface LoadResult {
  sent: number;
  statuses: Record<string, number>;
  /** Transport errors (no response). */
  failures: number;
  /** A few non-2xx bodies or transport errors, for the report. */
  samples: string[];
  startedAt: number;
  endedAt: number;
}

export interface JobRequestSpec {
  path: string;
  body: string;
  /** Extra request headers, e.g. dapr-app-id to schedule as another app. */
  headers?: Record<string, string>;
}

export async function sendAll(baseUrl: string, count: number, concurrency: number, request: (i: number) => JobRequestSpec): Promise<LoadResult> {
  const pool = new Pool(baseUrl, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const statuses: Record<string, number> = {};
  const samples: string[] = [];
  let failures = 0;
  let next = 0;
  const startedAt = Date.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const { path, body, headers } = request(i);
      try {
        const response = await pool.request({ path, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
        const text = await response.body.text();
        statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        if ((response.statusCode < 200 || response.statusCode > 299) && samples.length < 5) samples.push(`${response.statusCode} ${text.slice(0, 300)}`);
      } catch (error) {
        failures++;
        if (samples.length < 5) samples.push(String(error));
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await pool.close();
  }
  return { sent: count, statuses, failures, samples, startedAt, endedAt: Date.now() };
}
