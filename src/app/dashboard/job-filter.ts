// Which jobs a dashboard state filter matches, from the job's view (what GET shows).

import type { JobView } from '../job-view.js';

/** The dashboard's filters: the five states GET shows, and failing. */
export const JOB_FILTERS = ['active', 'paused', 'staged', 'failing', 'completed', 'failed'] as const;
export type JobFilter = (typeof JOB_FILTERS)[number];

export function isJobFilter(text: string): text is JobFilter {
  return (JOB_FILTERS as readonly string[]).includes(text);
}

/**
 * Failing: a live job whose current tick has failed at least once (it is retrying), or a job that
 * gave up (a failed tombstone).
 */
export function isFailing(job: JobView): boolean {
  const { state, attempts } = job.status;
  return state === 'failed' || (state !== 'completed' && attempts > 0);
}

export function matchesFilter(job: JobView, filter: JobFilter): boolean {
  return filter === 'failing' ? isFailing(job) : job.status.state === filter;
}
