// dapr.proto.scheduler.v1.Scheduler (port 50006): Dapr's control-plane API, which a Dapr sidecar
// and Duetime's SDK call. The owner of a job is the request's JobMetadata{app_id, namespace};
// actor reminders (metadata.target.actor) are not served here yet and answer UNIMPLEMENTED.

import { status, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { StreamChannel } from '../../adapters/deliver-stream/stream-channel.js';
import type { Caller, IdentityOptions } from '../../app/caller-identity.js';
import type { JobsService } from '../../app/jobs-service.js';
import type { Metadata } from '@grpc/grpc-js';
import { schedulerCaller } from './call-identity.js';
import { GrpcStatusError } from './grpc-errors.js';
import { jobToScheduleArguments, jobViewToFields } from './job-mapping.js';
import type { JobFieldsMessage, JobMetadataMessage } from './messages.js';
import { listAll } from './runtime-service.js';
import { unary } from './unary.js';
import { handleWatchJobs, type WatchJobsCall } from './watch-jobs.js';

export interface SchedulerServiceDeps {
  jobs: JobsService;
  streams: StreamChannel;
  identity: IdentityOptions;
  logger: Logger;
  /** host:port that WatchHosts announces. */
  address: () => string;
  /** Open streaming calls, ended when the server stops. */
  openCalls: Set<WatchJobsCall | ServerWritableStream<unknown, unknown>>;
}

interface Owned {
  metadata: JobMetadataMessage | null;
}

export function schedulerService(deps: SchedulerServiceDeps): UntypedServiceImplementation {
  const { jobs, identity, logger } = deps;
  /** The app that owns the request's job, once its target is known to be an app job. */
  const ownerOf = (metadata: Metadata, request: Owned): Caller => {
    if (request.metadata?.target?.actor) {
      throw new GrpcStatusError(status.UNIMPLEMENTED, 'ERR_NOT_IMPLEMENTED', 'actor reminders are not served on the scheduler API yet; use metadata.target.job');
    }
    return schedulerCaller(metadata, request.metadata, identity);
  };

  return {
    ScheduleJob: unary<Owned & { name: string; job: JobFieldsMessage | null; overwrite: boolean }, object>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      const { body, rawData } = jobToScheduleArguments(call.request.job, call.request.overwrite);
      await jobs.schedule({ namespace: owner.namespace, appId: owner.appId, name: call.request.name }, body, rawData);
      return {};
    }),
    GetJob: unary<Owned & { name: string }, { job: JobFieldsMessage }>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      const view = await jobs.get({ namespace: owner.namespace, appId: owner.appId, name: call.request.name });
      return { job: jobViewToFields(view) };
    }),
    DeleteJob: unary<Owned & { name: string }, object>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      await jobs.delete({ namespace: owner.namespace, appId: owner.appId, name: call.request.name });
      return {};
    }),
    ListJobs: unary<Owned, { jobs: Array<{ name: string; metadata: JobMetadataMessage; job: JobFieldsMessage }> }>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      const views = await listAll(jobs, owner.namespace, owner.appId);
      const metadata: JobMetadataMessage = { appId: owner.appId, namespace: owner.namespace, target: { job: {} } };
      return { jobs: views.map((view) => ({ name: view.name, metadata, job: jobViewToFields(view) })) };
    }),
    DeleteByMetadata: unary<Owned & { idPrefixMatch?: boolean }, object>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      await jobs.deleteByPrefix(owner.namespace, owner.appId, '');
      return {};
    }),
    DeleteByNamePrefix: unary<Owned & { namePrefix: string }, object>(logger, async (call) => {
      const owner = ownerOf(call.metadata, call.request);
      await jobs.deleteByPrefix(owner.namespace, owner.appId, call.request.namePrefix ?? '');
      return {};
    }),
    WatchJobs: (call: WatchJobsCall) => handleWatchJobs(call, { ...deps, openCalls: deps.openCalls as Set<WatchJobsCall> }),
    WatchHosts: (call: ServerWritableStream<unknown, unknown>) => {
      // One node: its own address, once; the stream stays open so the sidecar keeps watching.
      deps.openCalls.add(call);
      const forget = (): void => void deps.openCalls.delete(call);
      call.on('cancelled', forget);
      call.on('close', forget);
      call.write({ hosts: [{ address: deps.address() }] });
    },
  };
}
