// An app's jobs counted by state for the dashboard's apps page. The store keeps no count per
// state, so this walks the app's jobs a page at a time, up to a bound: an app with more shows
// "at least" the counts of the jobs read.

import type { JobsService } from '../jobs-service.js';
import { isFailing } from './job-filter.js';

export interface JobCounts {
  active: number;
  paused: number;
  staged: number;
  failing: number;
  /** Tombstones: completed or failed jobs kept for --tombstone-ttl. */
  finished: number;
  total: number;
  /** True when the walk stopped at the bound: the counts cover only the first `total` jobs. */
  partial: boolean;
}

/** Most jobs read per app for one count. @defaultValue 5000 */
export const DEFAULT_COUNT_BOUND = 5_000;
const PAGE = 1_000;

export async function countJobs(jobs: JobsService, namespace: string, appId: string, bound = DEFAULT_COUNT_BOUND): Promise<JobCounts> {
  const counts: JobCounts = { active: 0, paused: 0, staged: 0, failing: 0, finished: 0, total: 0, partial: false };
  let cursor: string | undefined;
  do {
    const page = await jobs.list(namespace, appId, { limit: Math.min(PAGE, bound - counts.total), ...(cursor !== undefined ? { cursor } : {}) });
    for (const job of page.jobs) {
      const state = job.status.state;
      if (state === 'completed' || state === 'failed') counts.finished += 1;
      else counts[state] += 1;
      if (isFailing(job)) counts.failing += 1;
      counts.total += 1;
    }
    cursor = page.nextCursor;
    if (cursor !== undefined && counts.total >= bound) counts.partial = true;
  } while (cursor !== undefined && !counts.partial);
  return counts;
}
