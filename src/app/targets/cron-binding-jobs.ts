// bindings.cron input bindings, run by the engine: at start every cron binding of the components
// folder becomes (or replaces) a job of the default app named `bindings.cron.{name}`, whose
// target {"inputBinding":{"name","route"}} calls `POST {appUrl}{route}` on the binding's schedule
// (input-binding-deliverer.ts). Catch-up `none` and failure policy `drop`: Dapr's cron binding
// neither replays missed ticks nor retries. A binding whose component file is gone has its job
// deleted at the next start. The `bindings.cron.` job-name prefix is reserved for these jobs.

import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { DuetimeError } from '../../core/errors.js';
import type { Engine } from '../../core/engine/engine.js';
import { initialProgress } from '../../core/engine/progression.js';
import type { JobKey, JobRecord } from '../../core/model/job.js';
import { parseJobRequest } from '../../core/model/job-request.js';
import type { JobStore } from '../../core/ports/job-store.js';
import { parseSchedule } from '../../core/schedule/index.js';
import type { JobsService } from '../jobs-service.js';

export const CRON_BINDING_JOB_PREFIX = 'bindings.cron.';

/** A bindings.cron component, as the component layer reads it. */
export interface CronBindingSpec {
  name: string;
  schedule: string;
  /** Path on the app, starting with "/". */
  route: string;
  /** The component's file, for messages. */
  source: string;
}

/** A cron binding whose schedule the engine cannot run; names the component's file. */
export class CronBindingError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'CronBindingError';
  }
}

export interface CronBindingDeps {
  store: JobStore;
  engine: Engine;
  jobs: JobsService;
  clock: Clock;
}

/** Builds every binding's job (all problems at once), stores it and hands it to the engine; removes stale ones. */
export async function syncCronBindingJobs(
  deps: CronBindingDeps,
  owner: { namespace: string; appId: string },
  bindings: readonly CronBindingSpec[],
): Promise<{ scheduled: string[]; removed: string[] }> {
  const problems: string[] = [];
  const records: JobRecord[] = [];
  for (const binding of bindings) {
    const key: JobKey = { ...owner, name: CRON_BINDING_JOB_PREFIX + binding.name };
    try {
      const { def } = parseJobRequest(key, { schedule: binding.schedule, failurePolicy: { drop: {} }, catchUp: 'none' }, deps.clock.now(), randomUUID());
      def.target = { kind: 'inputBinding', name: binding.name, route: binding.route };
      records.push({ def, progress: initialProgress(def, parseSchedule(binding.schedule)) });
    } catch (error) {
      if (!(error instanceof DuetimeError)) throw error;
      problems.push(`${binding.source}: spec.metadata "schedule" of bindings.cron "${binding.name}" cannot be used: ${error.message}`);
    }
  }
  if (problems.length > 0) throw new CronBindingError(problems);

  for (const record of records) {
    await deps.store.create(record, { overwrite: true, written: () => deps.engine.upsert(record) });
  }

  const wanted = new Set(records.map((r) => r.def.key.name));
  const removed: string[] = [];
  for (const name of await jobNames(deps.store, owner)) {
    if (wanted.has(name)) continue;
    await deps.jobs.delete({ ...owner, name });
    removed.push(name);
  }
  return { scheduled: [...wanted], removed };
}

async function jobNames(store: JobStore, owner: { namespace: string; appId: string }): Promise<string[]> {
  const names: string[] = [];
  let after: string | undefined;
  do {
    const page = await store.list(owner.namespace, owner.appId, { prefix: CRON_BINDING_JOB_PREFIX, limit: 1000, ...(after !== undefined ? { after } : {}) });
    for (const record of page.records) {
      if (record.def.target.kind === 'inputBinding') names.push(record.def.key.name);
    }
    after = page.next;
  } while (after !== undefined);
  return names;
}
