// One page of the dashboard's job list: an app's jobs by name prefix and state filter. Without a
// filter it is one page of the API's list; with one, pages are read until `limit` jobs match or
// `scanBound` jobs have been read, so a rare state costs a bounded walk per page and the next
// page carries on from where this one stopped.

import type { JobView } from '../job-view.js';
import type { JobsService } from '../jobs-service.js';
import { matchesFilter, type JobFilter } from './job-filter.js';

export interface JobSearch {
  prefix?: string;
  filter?: JobFilter;
  cursor?: string;
  /** Jobs per page. @defaultValue 50 */
  limit?: number;
  /** Most jobs read for one filtered page. @defaultValue 2000 */
  scanBound?: number;
}

export interface JobSearchPage {
  jobs: JobView[];
  /** Where the next page starts; absent on the last page. */
  nextCursor?: string;
}

export async function searchJobs(jobs: JobsService, namespace: string, appId: string, search: JobSearch): Promise<JobSearchPage> {
  const limit = search.limit ?? 50;
  const scanBound = search.scanBound ?? 2_000;
  const prefix = search.prefix ? { prefix: search.prefix } : {};
  if (!search.filter) {
    const page = await jobs.list(namespace, appId, { ...prefix, limit, ...(search.cursor ? { cursor: search.cursor } : {}) });
    return { jobs: page.jobs, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
  }
  const found: JobView[] = [];
  let cursor = search.cursor || undefined;
  let read = 0;
  for (;;) {
    const page = await jobs.list(namespace, appId, { ...prefix, limit: Math.min(500, scanBound - read), ...(cursor !== undefined ? { cursor } : {}) });
    for (const job of page.jobs) {
      read += 1;
      cursor = job.name;
      if (!matchesFilter(job, search.filter)) continue;
      found.push(job);
      if (found.length === limit) return { jobs: found, nextCursor: job.name };
    }
    if (page.nextCursor === undefined) return { jobs: found };
    cursor = page.nextCursor;
    if (read >= scanBound) return { jobs: found, nextCursor: cursor };
  }
}
