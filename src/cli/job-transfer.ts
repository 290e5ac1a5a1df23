// Export and import as JSON Lines: one `{"name":..., ...JobSpec}` per line. An export turns each
// job into the spec that recreates it from where it is now: the next trigger becomes an absolute
// dueTime and repeats counts only the ticks left. A relative ttl counts again from the import.
// Finished jobs (tombstones, status.state completed or failed) are left out.

import type { Job, JobSpec } from '@duetime/sdk/http';

export interface ExportedJob extends JobSpec {
  name: string;
}

export function toExportLine(job: Job): ExportedJob | undefined {
  // A finished job's tombstone has nothing left to run: imported, it would run again.
  if (job.status.state === 'completed' || job.status.state === 'failed') return undefined;
  const remaining = job.repeats === undefined ? undefined : job.repeats - job.status.count;
  if (remaining !== undefined && remaining < 1) return undefined;
  const nextTrigger = job.status.nextTrigger;
  return {
    name: job.name,
    ...(job.schedule !== undefined ? { schedule: job.schedule } : {}),
    ...(nextTrigger !== undefined ? { dueTime: nextTrigger } : job.dueTime !== undefined ? { dueTime: job.dueTime } : {}),
    ...(remaining !== undefined ? { repeats: remaining } : {}),
    ...(job.ttl !== undefined ? { ttl: job.ttl } : {}),
    ...(job.data !== undefined ? { data: job.data } : {}),
    ...(job.failurePolicy !== undefined ? { failurePolicy: job.failurePolicy } : {}),
    ...(job.target !== undefined ? { target: job.target } : {}),
    ...(job.catchUp !== undefined ? { catchUp: job.catchUp } : {}),
  };
}

/** Parses an export file; throws naming the line of the first bad entry. */
export function parseExportLines(text: string): ExportedJob[] {
  const jobs: ExportedJob[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      throw new Error(`line ${index + 1}: not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof entry !== 'object' || entry === null || typeof (entry as ExportedJob).name !== 'string') {
      throw new Error(`line ${index + 1}: expected an object with a "name"`);
    }
    jobs.push(entry as ExportedJob);
  });
  return jobs;
}
