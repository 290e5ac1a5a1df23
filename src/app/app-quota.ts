// Per-app quotas on writing jobs (docs/security.md, "Limits on requests and stored jobs"): how fast
// one app may schedule (a token bucket per app: --schedule-rate-per-app, refilled continuously up
// to --schedule-burst-per-app) and how many jobs it may hold (--max-jobs-per-app, read from the
// store's count: SQLite's maintained count of live jobs; on etcd the app's stored jobs, tombstones
// included, which each replica reads now and then and keeps up with its own writes,
// store-etcd/app-job-counts.ts). Over either: QuotaExceededError, which the edges answer with 429
// and Retry-After (HTTP) or RESOURCE_EXHAUSTED with RetryInfo (gRPC). The request changes nothing.
//
// An app is a namespace and app id as the job key has them; reminders are filed under their own
// reserved app id (reminder-keys.ts), so an app's reminders have a quota apart from its jobs.
// Buckets live in this process: in a cluster each replica allows the rate on its own.

import type { Clock } from '../core/clock.js';
import { QuotaExceededError } from '../core/errors.js';
import type { JobKey } from '../core/model/job.js';
import { appKeyString } from '../core/model/job-key.js';

export interface AppQuotaOptions {
  /** --max-jobs-per-app: most live jobs one app may hold; 0 turns the check off. */
  maxJobsPerApp: number;
  /** --schedule-rate-per-app: schedules per second one app may sustain; 0 turns the check off. */
  scheduleRatePerApp: number;
  /** --schedule-burst-per-app: schedules one app may send at once after a quiet spell. */
  scheduleBurstPerApp: number;
}

/** Where --max-jobs-per-app reads an app's job count: the store's. */
export interface JobCount {
  /** The app's jobs as the store counts them. */
  of(namespace: string, appId: string): Promise<number>;
  /**
   * Finished jobs (tombstones) are in the count until the sweep purges them (etcd: they take its
   * space as live jobs do, and it cannot tell them apart without reading every job); SQLite and
   * memory count live jobs only.
   */
  includesFinished: boolean;
}

export const DEFAULT_APP_QUOTA: AppQuotaOptions = { maxJobsPerApp: 1_000_000, scheduleRatePerApp: 1000, scheduleBurstPerApp: 10_000 };

/** Retry-After for an app at --max-jobs-per-app: jobs finish or are deleted over time, not at once. */
const FULL_RETRY_AFTER_MS = 60_000;
/** Buckets kept before idle (full) ones are dropped: a bucket costs memory per app id ever seen. */
const TRACKED_APPS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class AppQuota {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly options: AppQuotaOptions,
    private readonly clock: Clock,
    /** The store's count per app; undefined when the store keeps none (then no job limit). */
    private readonly jobCount: JobCount | undefined,
  ) {}

  /** Whether --max-jobs-per-app is enforced (the store keeps a count and the limit is on). */
  get countsJobs(): boolean {
    return this.jobCount !== undefined && this.options.maxJobsPerApp > 0;
  }

  /** Takes one schedule from the app's bucket, or throws QuotaExceededError saying when to retry. */
  takeSchedule(key: JobKey, code: string): void {
    const rate = this.options.scheduleRatePerApp;
    if (rate <= 0) return;
    const burst = Math.max(1, this.options.scheduleBurstPerApp);
    const now = this.clock.now();
    const id = appKeyString(key.namespace, key.appId);
    let bucket = this.buckets.get(id);
    if (bucket === undefined) {
      if (this.buckets.size >= TRACKED_APPS) this.dropIdle(now, rate, burst);
      bucket = { tokens: burst, at: now };
      this.buckets.set(id, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) * rate) / 1000);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const retryAfterMs = Math.ceil(((1 - bucket.tokens) * 1000) / rate);
    throw new QuotaExceededError(
      code,
      `app ${key.appId} (namespace ${key.namespace}) schedules faster than ${rate} per second (burst ${burst}), the limit set by --schedule-rate-per-app and --schedule-burst-per-app; retry after ${retryAfterMs}ms`,
      retryAfterMs,
    );
  }

  /**
   * Refuses a job that would take the app past --max-jobs-per-app. `replaces`: whether the write
   * replaces a live job of the same name (an overwrite), asked only when the app is at the limit.
   * Concurrent writes may pass the limit by their number: the count is read, not reserved (and on
   * etcd, other replicas' writes since this replica last counted the app: app-job-counts.ts).
   */
  async checkJobCount(key: JobKey, code: string, replaces: () => Promise<boolean>): Promise<void> {
    const max = this.options.maxJobsPerApp;
    if (!this.jobCount || max <= 0) return;
    const held = await this.jobCount.of(key.namespace, key.appId);
    if (held < max || (await replaces())) return;
    const app = `app ${key.appId} (namespace ${key.namespace})`;
    throw new QuotaExceededError(
      code,
      this.jobCount.includesFinished
        ? `${app} has ${held} jobs stored, finished ones included until --tombstone-ttl purges them: the most one app may hold (--max-jobs-per-app ${max}); delete jobs it no longer needs`
        : `${app} has ${held} jobs, the most one app may hold (--max-jobs-per-app ${max}); delete jobs it no longer needs, or wait for some to finish`,
      FULL_RETRY_AFTER_MS,
    );
  }

  private dropIdle(now: number, rate: number, burst: number): void {
    for (const [id, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) * rate) / 1000 >= burst) this.buckets.delete(id);
    }
  }
}
