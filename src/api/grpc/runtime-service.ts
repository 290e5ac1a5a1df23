// dapr.proto.runtime.v1.Dapr, the jobs methods (port 50001): what an app or a Dapr SDK calls on
// its sidecar. Each stable method and its ...Alpha1 alias share one handler. The caller is
// identified from call metadata as on HTTP.

import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { IdentityOptions } from '../../app/caller-identity.js';
import type { JobsService } from '../../app/jobs-service.js';
import type { JobView } from '../../app/job-view.js';
import { InvalidRequestError } from '../../core/errors.js';
import { traceContextOf } from './trace-metadata.js';
import { runtimeCaller } from './call-identity.js';
import { jobToScheduleArguments, jobViewToFields, mapEncodable } from './job-mapping.js';
import type { RuntimeJobMessage } from '@duetime/sdk/protocol';
import { unary } from './unary.js';

export interface RuntimeServiceDeps {
  jobs: JobsService;
  identity: IdentityOptions;
  logger: Logger;
}

export function runtimeService({ jobs, identity, logger }: RuntimeServiceDeps): UntypedServiceImplementation {
  const scheduleJob = unary<{ job: RuntimeJobMessage | null; overwrite: boolean }, object>(logger, async (call) => {
    const caller = runtimeCaller(call.metadata, identity);
    // No job at all is Dapr's DAPR_SCHEDULER_EMPTY ("Job is empty"), before any field of it.
    if (!call.request.job) throw new InvalidRequestError('DAPR_SCHEDULER_EMPTY', 'the request has no job: ScheduleJobRequest.job must hold the job (its name, and a schedule or a dueTime)', 'job');
    const { body, rawData } = jobToScheduleArguments(call.request.job, call.request.overwrite, jobs.dataLimits);
    await jobs.schedule({ namespace: caller.namespace, appId: caller.appId, name: call.request.job?.name ?? '' }, body, rawData, traceContextOf(call.metadata));
    return {};
  });
  const getJob = unary<{ name: string }, { job: RuntimeJobMessage }>(logger, async (call) => {
    const caller = runtimeCaller(call.metadata, identity);
    // A finished job's tombstone is not found here, as in Dapr (the message has no status to show it).
    const view = await jobs.get({ namespace: caller.namespace, appId: caller.appId, name: call.request.name }, { hideFinished: true });
    return { job: toRuntimeJob(view) };
  });
  const deleteJob = unary<{ name: string }, object>(logger, async (call) => {
    const caller = runtimeCaller(call.metadata, identity);
    await jobs.delete({ namespace: caller.namespace, appId: caller.appId, name: call.request.name });
    return {};
  });
  const deleteJobsByPrefix = unary<{ namePrefix?: string }, object>(logger, async (call) => {
    const caller = runtimeCaller(call.metadata, identity);
    await jobs.deleteByPrefix(caller.namespace, caller.appId, call.request.namePrefix ?? '');
    return {};
  });
  const listJobs = unary<object, { jobs: RuntimeJobMessage[] }>(logger, async (call) => {
    const caller = runtimeCaller(call.metadata, identity);
    const views = await listAll(jobs, caller.namespace, caller.appId);
    return { jobs: mapEncodable(views, toRuntimeJob, logger) };
  });
  return {
    ScheduleJob: scheduleJob,
    ScheduleJobAlpha1: scheduleJob,
    GetJob: getJob,
    GetJobAlpha1: getJob,
    DeleteJob: deleteJob,
    DeleteJobAlpha1: deleteJob,
    DeleteJobsByPrefix: deleteJobsByPrefix,
    DeleteJobsByPrefixAlpha1: deleteJobsByPrefix,
    ListJobs: listJobs,
    ListJobsAlpha1: listJobs,
  };
}

function toRuntimeJob(view: JobView): RuntimeJobMessage {
  return { name: view.name, ...jobViewToFields(view) };
}

/**
 * Dapr's ListJobs is unpaged: every job of the app, read page by page; tombstones left out, as in
 * Dapr. More than --list-page-bytes of jobs is RESOURCE_EXHAUSTED (JobsService.listEvery).
 */
export async function listAll(jobs: JobsService, namespace: string, appId: string): Promise<JobView[]> {
  return jobs.listEvery(namespace, appId, { hideFinished: true });
}
