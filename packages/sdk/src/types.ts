// The shapes the SDK's clients take and return. The job's own JSON shapes are shared with the
// server (protocol/job-json.ts); the paging shapes are the SDK's.

import type { Job } from './protocol/job-json.js';

export type { FailurePolicy, HistoryEntry, Job, JobFields, JobSpec, JobStatus, JobTarget } from './protocol/job-json.js';

export interface ListOptions {
  /** Only names starting with this. */
  prefix?: string;
  /** Page size, 1 to 1000 (default 100). */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

export interface JobPage {
  jobs: Job[];
  /** Present when more jobs follow: pass it as `cursor`. */
  nextCursor?: string;
}
